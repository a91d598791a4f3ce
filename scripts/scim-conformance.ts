import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../api/app';
import { createSequelize } from '../lib/db/connection';
import { migrateToLatest } from '../lib/db/migrate';
import { defineModels } from '../lib/db/models';
import { seedDemoOrganisation } from '../lib/db/seed';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer, type RunningDevServer } from '../temporal/dev-server';
import { freePort } from '../test/support/ports';

/**
 * SCIM conformance by an independent client: serves the real API (SCIM on, a fresh migrated
 * and seeded SQLite database, or a database of its own on DATABASE_URL's MariaDB) on a free
 * loopback port, runs scim2-tester (scripts/scim_conformance.py) against it and exits with
 * its verdict. A Temporal dev server of its own takes the workflows a directory change starts
 * (a deactivation's hand-over, a team's membership fan-out); no worker runs them, as starting
 * them is all a SCIM request does.
 */
async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-conformance-'));
  const sequelize = createSequelize({ url: `sqlite://${path.join(dir, 'tickets.sqlite')}`, dialect: 'sqlite' });
  const token = crypto.randomBytes(24).toString('hex');
  let status = 1;
  let temporal: RunningDevServer | undefined;
  try {
    await migrateToLatest(sequelize);
    const models = defineModels(sequelize);
    await seedDemoOrganisation(sequelize, models);
    const cli = findTemporalCli((m) => console.error(m));
    if (!cli) throw new Error('Temporal CLI not found (set TEMPORAL_CLI)');
    temporal = await startDevServer({ cli, port: await freePort(), namespace: 'default', headless: true });
    const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
    const app = createApp({
      config: {
        identity: { mode: 'local', issuerUrl: 'http://127.0.0.1:9/', local: true, localPort: 0, audience: 'https://api.ticketing.local', clientId: 'ticketing-portal' },
        temporal: { address: temporal.address, embedded: false, devPort: 0, uiPort: 0, namespace: 'default', taskQueue: 'scim-conformance', tls: false, uiUrl: '' },
        attachments: { dir: path.join(dir, 'attachments') },
      },
      client,
      sequelize,
      models,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      scim: { token, clientName: 'scim2-tester' },
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
    status = await new Promise<number>((resolve) => {
      const child = spawn(process.env.PYTHON ?? 'python3', [path.join(__dirname, 'scim_conformance.py'), url], { stdio: 'inherit', env: { ...process.env, SCIM_TOKEN: token } });
      child.on('exit', (code) => resolve(code ?? 1));
      child.on('error', (err) => {
        console.error(err);
        resolve(1);
      });
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await (app.locals.stopBackgroundWork as () => Promise<void>)();
  } finally {
    await temporal?.stop();
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(status);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
