import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack as startServices } from '../../scripts/stack';
import { freePort } from './ports';
import { createTestDatabase } from './test-database';

export interface Stack {
  webUrl: string;
  apiUrl: string;
  issuerUrl: string;
  temporalUiUrl: string;
  stop(): Promise<void>;
}

/**
 * The whole product as `npm start` runs it (dev server, identity, worker, API, built
 * portal as separate processes), on free ports with a throwaway data folder and database.
 */
export async function startStack(): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-stack-'));
  const db = await createTestDatabase();
  const [temporalPort, uiPort, apiPort, webPort, identityPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const logFile = path.join(dataDir, 'stack.log');
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
    IDENTITY_MODE: 'local',
    PUBLIC_WEB_URL: `http://127.0.0.1:${webPort}`,
    PUBLIC_API_URL: `http://127.0.0.1:${apiPort}`,
    LOG_LEVEL: 'info',
  };
  const stack = await startServices({ env, logFile });
  return {
    webUrl: stack.webUrl,
    apiUrl: stack.apiUrl,
    issuerUrl: stack.issuerUrl,
    temporalUiUrl: stack.temporalUiUrl,
    async stop() {
      await stack.stop();
      await db.drop();
      if (!process.env.KEEP_STACK_LOGS) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
