import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Supervised } from '../../scripts/supervisor';
import { startStack as startServices } from '../../scripts/stack';
import { freePort } from './ports';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface Stack {
  webUrl: string;
  apiUrl: string;
  issuerUrl: string;
  temporalUiUrl: string;
  temporalAddress: string;
  mailboxUrl?: string;
  /** The stack's own migrated database (a connection the caller may use too: benchmarks load rows through it). */
  db: TestDatabase;
  /** The service processes (mail, identity, worker, api, web), e.g. to sample their CPU and memory. */
  services: Supervised[];
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Whether to run the built portal (default true); API-only runs (the benchmark) leave it out. */
  web?: boolean;
  /** Extra environment for every service (e.g. worker tuning a benchmark compares). */
  env?: NodeJS.ProcessEnv;
  /** Where the services' output goes (default: a log file in the throwaway data folder). */
  logFile?: string;
}

/**
 * The whole product as `npm start` runs it (dev server, identity, worker, API, built
 * portal as separate processes), on free ports with a throwaway data folder and database.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-stack-'));
  const db = await createTestDatabase();
  const [temporalPort, uiPort, apiPort, webPort, identityPort, mailPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const logFile = options.logFile ?? path.join(dataDir, 'stack.log');
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dataDir,
    DATABASE_URL: db.database.url,
    TEMPORAL_ADDRESS: '',
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_UI_URL: '',
    TEMPORAL_TASK_QUEUE: 'tickets',
    API_PORT: String(apiPort),
    WEB_PORT: String(webPort),
    IDENTITY_PORT: String(identityPort),
    MAIL_SINK_PORT: String(mailPort),
    IDENTITY_MODE: 'local',
    PUBLIC_WEB_URL: `http://127.0.0.1:${webPort}`,
    PUBLIC_API_URL: `http://127.0.0.1:${apiPort}`,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const stack = await startServices({ env, logFile, web: options.web });
  return {
    webUrl: stack.webUrl,
    apiUrl: stack.apiUrl,
    issuerUrl: stack.issuerUrl,
    temporalUiUrl: stack.temporalUiUrl,
    temporalAddress: stack.temporalAddress,
    mailboxUrl: stack.mailboxUrl,
    db,
    services: stack.services,
    async stop() {
      await stack.stop();
      await db.drop();
      if (!process.env.KEEP_STACK_LOGS) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
