import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { Sequelize } from 'sequelize';
import { createApp } from '../../api/app';
import { demoSubject } from '../../lib/db/demo-org';
import { defineModels } from '../../lib/db/models';
import { AUDIENCE, CLIENT_ID } from '../support/harness';
import { obtainAccessToken } from '../support/oidc-login';

/**
 * The read-model database stopped (a MySQL server that refuses connections): reads, the health
 * check and changes answer 503 with a clear error and Retry-After, at once, never a 500 or a hang.
 * (That workflows go on and projections catch up once it is back is the chaos run's
 * database-down scenario: `npm run chaos` against MariaDB.)
 */
let server: http.Server;
let refusing: net.Server;
let base: string;
let token: string;
const logged: Array<{ level: number; msg: string }> = [];
const attachmentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-dbdown-'));

beforeAll(async () => {
  // A port that accepts nothing: listening, then closed, so a connection is refused at once.
  refusing = net.createServer();
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', () => resolve()));
  const port = (refusing.address() as AddressInfo).port;
  await new Promise<void>((resolve) => refusing.close(() => resolve()));
  const sequelize = new Sequelize(`mysql://ticketing:ticketing@127.0.0.1:${port}/ticketing`, { dialect: 'mysql', logging: false, pool: { max: 2, acquire: 5_000 } });
  const issuerUrl = process.env.TEST_ISSUER_URL!;
  const app = createApp({
    config: {
      identity: { mode: 'local', issuerUrl, local: true, localPort: 0, audience: AUDIENCE, clientId: CLIENT_ID },
      temporal: { address: '127.0.0.1:9', embedded: false, devPort: 0, uiPort: 0, namespace: 'default', taskQueue: 'dbdown', tls: false, uiUrl: '' },
      attachments: { dir: attachmentsDir },
    },
    // Nothing here reaches Temporal: every request stops at the database first.
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
    sequelize,
    models: defineModels(sequelize),
    logger: pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) }),
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  token = (await obtainAccessToken({ issuerUrl, clientId: CLIENT_ID, redirectUri: 'http://127.0.0.1:3000/auth/callback', audience: AUDIENCE, sub: demoSubject('emma') })).accessToken;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  fs.rmSync(attachmentsDir, { recursive: true, force: true });
});

async function call(method: string, pathname: string, body?: unknown) {
  const started = Date.now();
  const response = await fetch(`${base}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json', 'idempotency-key': 'db-down-1' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { success: boolean; error?: { code: string; message: string } }, ms: Date.now() - started };
}

describe('the read-model database is down', () => {
  test.each([
    ['the health check', 'GET', '/health', undefined],
    ['a ticket list', 'GET', '/tickets?limit=5', undefined],
    ['the unread count', 'GET', '/notifications/unread-count', undefined],
    ['a create', 'POST', '/tickets', { title: 'Printer jam', description: 'Floor 3', categoryId: 1 }],
  ])('when %s is asked for, then it answers 503 DATABASE_UNAVAILABLE with Retry-After within seconds', async (_what, method, pathname, body) => {
    const answer = await call(method, pathname, body);
    expect({ status: answer.status, code: answer.body.error?.code, retryAfter: answer.retryAfter }).toEqual({ status: 503, code: 'DATABASE_UNAVAILABLE', retryAfter: '5' });
    expect(answer.body.error!.message).toMatch(/database is unavailable.*retry shortly/i);
    expect(answer.ms).toBeLessThan(10_000);
  });

  test('when requests fail on the database, then each is logged as a warning naming the cause, not as an unhandled error', async () => {
    await call('GET', '/tickets?limit=1');
    expect(logged.filter((l) => l.msg === 'unhandled error')).toEqual([]);
    expect(logged.some((l) => l.msg === 'database unavailable' && l.level === 40)).toBe(true);
  });
});
