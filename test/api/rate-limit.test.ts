import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../../api/app';
import { demoSubject } from '../../lib/db/demo-org';
import { AUDIENCE, CLIENT_ID } from '../support/harness';
import { obtainAccessToken } from '../support/oidc-login';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Rate limits: per person after sign-in (one busy user cannot starve the others), and per address
 * before it (bad tokens cannot be sprayed for free, at five times the per-person limit). Over the
 * limit the answer is 429 RATE_LIMITED with the standard RateLimit headers, and nothing runs.
 */
const PER_PERSON = 3;
let db: TestDatabase;
let server: http.Server;
let base: string;
const attachmentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-ratelimit-'));
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  const issuerUrl = process.env.TEST_ISSUER_URL!;
  const app = createApp({
    config: {
      identity: { mode: 'local', issuerUrl, local: true, localPort: 0, audience: AUDIENCE, clientId: CLIENT_ID },
      temporal: { address: '127.0.0.1:9', embedded: false, devPort: 0, uiPort: 0, namespace: 'default', taskQueue: 'ratelimit', tls: false, uiUrl: '' },
      attachments: { dir: attachmentsDir },
    },
    // The reads used here never reach Temporal; a lazy connection is never dialled.
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
    sequelize: db.sequelize,
    models: db.models,
    logger: pino({ level: 'silent' }),
    rateLimitPerMinute: PER_PERSON,
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  for (const who of ['emma', 'mark']) {
    tokens[who] = (await obtainAccessToken({ issuerUrl, clientId: CLIENT_ID, redirectUri: 'http://127.0.0.1:3000/auth/callback', audience: AUDIENCE, sub: demoSubject(who) })).accessToken;
  }
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.drop();
  fs.rmSync(attachmentsDir, { recursive: true, force: true });
});

async function get(pathname: string, token: string) {
  const response = await fetch(`${base}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe('rate limits', () => {
  test('when one person goes over their limit, then they get 429 RATE_LIMITED with RateLimit headers, and another person is still served', async () => {
    const answers = [];
    for (let i = 0; i <= PER_PERSON; i++) answers.push(await get('/notifications/unread-count', tokens.emma!));
    expect(answers.map((a) => a.status)).toEqual([...Array<number>(PER_PERSON).fill(200), 429]);
    const refused = answers[PER_PERSON]!;
    expect(refused.body.error).toEqual({ code: 'RATE_LIMITED', message: 'Too many requests; slow down and retry shortly', details: [] });
    // Both limits are announced (the address's, then the person's); the person's is the one used up.
    expect(refused.headers.get('ratelimit-policy')).toContain(`"${PER_PERSON}-in-1min"; q=${PER_PERSON}; w=60`);
    expect(refused.headers.get('ratelimit')).toContain(`"${PER_PERSON}-in-1min"; r=0;`);
    expect((await get('/notifications/unread-count', tokens.mark!)).status).toBe(200);
  });

  test('when bad tokens are sprayed from one address, then after five times the per-person limit the address gets 429 before any token is checked', async () => {
    const statuses: number[] = [];
    // Mark's one request above and the emma run count against this address too; spray until refused.
    for (let i = 0; i < PER_PERSON * 5 + 2; i++) statuses.push((await get('/tickets', 'not-a-token')).status);
    const firstRefusal = statuses.indexOf(429);
    expect(firstRefusal).toBeGreaterThan(0);
    expect(statuses.slice(0, firstRefusal).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(firstRefusal).every((s) => s === 429)).toBe(true);
    // The address limit holds for a valid token too, and says so the same way.
    const valid = await get('/notifications/unread-count', tokens.mark!);
    expect({ status: valid.status, code: valid.body.error?.code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
  });
});
