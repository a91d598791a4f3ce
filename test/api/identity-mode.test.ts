import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, TS_NODE_ARGS } from '../support/child-process';

/**
 * Defect: with AUTH0_DOMAIN unset the API trusted the local issuer on 127.0.0.1:3002 in any
 * environment. The real entry points must refuse to start instead, saying why.
 */
interface Exit {
  code: number | null;
  output: string;
}

// Variables that would change what is under test are taken out of the inherited environment.
const UNSET = ['AUTH0_DOMAIN', 'IDENTITY_MODE', 'NODE_ENV', 'DATABASE_URL', 'TEMPORAL_ADDRESS'];

function runEntry(entry: string, env: NodeJS.ProcessEnv, deadlineMs = 45_000): Promise<Exit> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !UNSET.includes(k)));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'identity-mode-'));
  // Ports nobody listens on: if a check were missing, the process would fail differently (or hang), not with the message.
  const child = spawn(process.execPath, [...TS_NODE_ARGS, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...base, DATA_DIR: dataDir, API_PORT: '1', IDENTITY_PORT: '1', TEMPORAL_DEV_PORT: '1', MAIL_SINK_PORT: '1', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise<Exit>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} was still running after ${deadlineMs} ms; expected it to refuse to start. Output:\n${output}`));
    }, deadlineMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

const NO_ISSUER = /No identity provider is configured\. Set AUTH0_DOMAIN .* or IDENTITY_MODE=local/;
const LOCAL_IN_PRODUCTION = /NODE_ENV=production but IDENTITY_MODE=local: the local demo issuer signs anyone in as anyone/;

describe('identity mode at start-up (defect 1)', () => {
  test('when neither AUTH0_DOMAIN nor IDENTITY_MODE is set, then the API exits non-zero naming both', async () => {
    const { code, output } = await runEntry('api/server.ts', {});
    expect(code).not.toBe(0);
    expect(output).toMatch(/api: refusing to start/);
    expect(output).toMatch(NO_ISSUER);
  });

  test('when neither AUTH0_DOMAIN nor IDENTITY_MODE is set, then the local issuer exits non-zero naming both', async () => {
    const { code, output } = await runEntry('identity/main.ts', {});
    expect(code).not.toBe(0);
    expect(output).toMatch(/identity: refusing to start/);
    expect(output).toMatch(NO_ISSUER);
  });

  test('when NODE_ENV=production and IDENTITY_MODE=local, then the API exits non-zero saying a real issuer is needed', async () => {
    const { code, output } = await runEntry('api/server.ts', { NODE_ENV: 'production', IDENTITY_MODE: 'local' });
    expect(code).not.toBe(0);
    expect(output).toMatch(LOCAL_IN_PRODUCTION);
  });

  test('when NODE_ENV=production and IDENTITY_MODE=local, then the local issuer exits non-zero saying a real issuer is needed', async () => {
    const { code, output } = await runEntry('identity/main.ts', { NODE_ENV: 'production', IDENTITY_MODE: 'local' });
    expect(code).not.toBe(0);
    expect(output).toMatch(LOCAL_IN_PRODUCTION);
  });

  test('when `npm start` runs with NODE_ENV=production and no tenant, then the stack refuses before starting anything', async () => {
    const { code, output } = await runEntry('scripts/dev-stack.ts', { NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(output).toMatch(LOCAL_IN_PRODUCTION);
    expect(output).not.toMatch(/starting the Temporal dev server/);
  });

  test('when IDENTITY_MODE=local and AUTH0_DOMAIN are both set, then the API exits non-zero naming the contradiction', async () => {
    const { code, output } = await runEntry('api/server.ts', { IDENTITY_MODE: 'local', AUTH0_DOMAIN: 'acme.eu.auth0.com' });
    expect(code).not.toBe(0);
    expect(output).toMatch(/IDENTITY_MODE=local and AUTH0_DOMAIN are both set/);
  });
});
