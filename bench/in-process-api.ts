import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../api/app';
import type { PlannerStatistics } from '../lib/db/planner-statistics';
import { demoSubject } from '../lib/db/demo-org';
import { runTs } from '../test/support/child-process';
import { demoAccounts, type DemoUserKey } from '../test/support/demo-accounts';
import type { IdentityFixtureSetup } from '../test/support/identity-fixture';
import { obtainAccessToken } from '../test/support/oidc-login';
import type { TestDatabase } from '../test/support/test-database';

const AUDIENCE = 'https://api.ticketing.local';

export interface InProcessApi {
  apiUrl: string;
  /** An access token of a demo person from the real local issuer. */
  token(who: DemoUserKey): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The API in this process over a benchmark's database, for the single-purpose benchmarks that
 * read the read tables only (export, what-if): the real local issuer in a child process, and a
 * Temporal client that is never dialled. Listens on 127.0.0.1.
 */
export async function startInProcessApi(db: TestDatabase): Promise<InProcessApi> {
  const identity = runTs('test/support/identity-fixture.ts', {
    IDENTITY_FIXTURE: JSON.stringify({
      audience: AUDIENCE,
      clients: [{ clientId: 'ticketing-portal', redirectUris: ['http://127.0.0.1:3000/auth/callback'], postLogoutRedirectUris: ['http://127.0.0.1:3000/'] }],
      accounts: demoAccounts(),
    } satisfies IdentityFixtureSetup),
  });
  let server: http.Server | undefined;
  try {
    const { url } = await identity.firstJsonLine;
    const issuerUrl = `${String(url).replace(/\/+$/, '')}/`;
    const app = createApp({
      config: {
        identity: { mode: 'local', issuerUrl, local: true, localPort: 0, audience: AUDIENCE, clientId: 'ticketing-portal' },
        temporal: { address: '127.0.0.1:9', embedded: false, devPort: 0, uiPort: 0, namespace: 'default', taskQueue: 'bench', tls: false, uiUrl: '' },
        attachments: { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-attachments-')) },
      },
      client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
      sequelize: db.sequelize,
      models: db.models,
      logger: pino({ level: 'silent' }),
    });
    // The rows were loaded before the API started: its first pass of planner statistics analyses them (SQLite).
    await (app.locals.plannerStatistics as PlannerStatistics).check();
    server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const listening = server;
    return {
      apiUrl: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/api/v1`,
      token: async (who) =>
        (await obtainAccessToken({ issuerUrl, clientId: 'ticketing-portal', redirectUri: 'http://127.0.0.1:3000/auth/callback', audience: AUDIENCE, sub: demoSubject(who) })).accessToken,
      async stop() {
        listening.close();
        await (app.locals.stopBackgroundWork as () => Promise<void>)();
        await identity.stop();
      },
    };
  } catch (err) {
    server?.close();
    await identity.stop();
    throw err;
  }
}
