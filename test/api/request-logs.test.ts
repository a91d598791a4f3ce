import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../../api/app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait';

/** What the API writes to its request log must never hand anyone a working credential. */
let db: TestDatabase;
let server: http.Server;
let base: string;
const lines: string[] = [];
const attachmentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-logs-'));

beforeAll(async () => {
  db = await createTestDatabase();
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = createApp({
    config: {
      identity: { mode: 'local', issuerUrl: 'http://127.0.0.1:9/', local: true, localPort: 0, audience: 'https://api.ticketing.local', clientId: 'ticketing-portal' },
      temporal: { address: '127.0.0.1:9', embedded: false, devPort: 0, uiPort: 0, namespace: 'default', taskQueue: 'logs', tls: false, uiUrl: '' },
      attachments: { dir: attachmentsDir },
      appSecret: 'log-test-secret-'.repeat(3),
    },
    // Nothing here reaches Temporal; a lazy connection is never dialled.
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
    sequelize: db.sequelize,
    models: db.models,
    logger: pino({ level: 'info' }, sink),
    mail: { webUrl: 'http://portal.test' },
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.drop();
  fs.rmSync(attachmentsDir, { recursive: true, force: true });
});

test('when requests carry a bearer token, basic auth, a cookie or an approval-link token, then the request log names none of them', async () => {
  await (await fetch(`${base}/api/v1/tickets`, { headers: { authorization: 'Bearer SECRET-BEARER', cookie: 'session=SECRET-COOKIE' } })).text();
  await (await fetch(`${base}/api/v1/inbound/postmark`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('postmark:SECRET-PASSWORD').toString('base64')}`, 'content-type': 'application/json' }, body: '{}' })).text();
  await (await fetch(`${base}/approval-links/SECRET-LINK-TOKEN`)).text();
  // Express matches paths without regard to case, so the link works written in capitals too.
  await (await fetch(`${base}/Approval-Links/SECRET-CASED-TOKEN`)).text();
  // pino-http writes a request's line when its response finishes, which may be after the body arrived here.
  const paths = ['/api/v1/tickets', '/api/v1/inbound/postmark', '/approval-links/[redacted]'];
  const log = await waitUntil(
    'a request log line for each of the four requests',
    () => lines.join(''),
    (text) => paths.every((p) => text.includes(`"url":"${p}`)) && text.split('"url":"/approval-links/[redacted]').length === 3,
    { timeoutMs: 5_000, intervalMs: 20 },
  );
  expect(log).toContain('/approval-links/[redacted]');
  expect(log).toContain('"authorization":"[redacted]"');
  for (const secret of ['SECRET-BEARER', 'SECRET-COOKIE', Buffer.from('postmark:SECRET-PASSWORD').toString('base64'), 'SECRET-LINK-TOKEN', 'SECRET-CASED-TOKEN']) expect(log).not.toContain(secret);
});
