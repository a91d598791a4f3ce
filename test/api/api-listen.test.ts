import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, TS_NODE_ARGS } from '../support/child-process';
import { startHarness, type Harness } from '../support/harness';

/**
 * Express 5 hands a listen error to app.listen's callback instead of throwing. The API ignored
 * it: with its port taken it logged "api listening", served nothing and exited 0, which is how
 * an end-to-end stack once failed to start with nothing said.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

test('when the API port is already taken, then the API exits 1 saying it could not listen, and never says it is listening', async () => {
  // The harness's own in-process API holds this port.
  const takenPort = new URL(h.apiUrl).port;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-listen-'));
  const child = spawn(process.execPath, [...TS_NODE_ARGS, path.join(ROOT, 'api/server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: h.config.database.url,
      TEMPORAL_ADDRESS: h.env.connection.options.address,
      TEMPORAL_NAMESPACE: h.config.temporal.namespace,
      IDENTITY_MODE: 'local',
      API_HOST: '127.0.0.1',
      API_PORT: takenPort,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the API was still running 60 s after starting on taken port ${takenPort}; expected it to exit 1. Output:\n${output}`));
    }, 60_000);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  expect({ code, couldNotListen: /api could not listen/.test(output), addressInUse: /EADDRINUSE/.test(output), saidListening: /api listening/.test(output) }).toEqual({
    code: 1,
    couldNotListen: true,
    addressInUse: true,
    saidListening: false,
  });
}, 120_000);
