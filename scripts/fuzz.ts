import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoSubject } from '../lib/db/demo-org';
import { obtainAccessToken } from '../test/support/oidc-login';
import { freePort } from '../test/support/ports';
import { startStack } from './stack';

/**
 * `npm run fuzz` (and the bounded run in .ci/run): the API as `npm start` runs it, on free
 * loopback ports with a throwaway data folder, fuzzed by schemathesis from the OpenAPI document
 * it serves, once with a token of each role. A 5xx, or an answer the document does not allow
 * (status, content type, headers, body schema), is a failure. Stops everything at the end.
 *
 *   FUZZ_EXAMPLES   examples per operation and role (default 25; .ci/run uses 4)
 *   FUZZ_MAX_TIME   seconds per role before schemathesis stops (default 600)
 *   FUZZ_SEED       a fixed seed to replay a run
 */
const ROOT = path.resolve(__dirname, '..');
const ROLES = [
  ['requester', 'emma'],
  ['agent', 'alex'],
  ['lead', 'lee'],
  ['manager', 'mark'],
  ['admin', 'ada'],
] as const;
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];

function say(message: string): void {
  process.stderr.write(`[fuzz] ${message}\n`);
}

function schemathesis(args: string[], logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.SCHEMATHESIS ?? 'schemathesis', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.stdout.pipe(process.stdout);
    child.stderr.pipe(process.stderr);
    child.once('error', (err) => reject(new Error(`schemathesis could not run (${err.message}); install it with \`python3 -m pip install schemathesis\``)));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const examples = Number(process.env.FUZZ_EXAMPLES ?? 25);
  const maxTime = Number(process.env.FUZZ_MAX_TIME ?? 600);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-fuzz-'));
  const artifacts = path.join(ROOT, '.test-artifacts');
  fs.mkdirSync(artifacts, { recursive: true });
  const logFile = path.join(artifacts, 'fuzz.log');
  fs.rmSync(logFile, { force: true });
  const [temporalPort, uiPort, apiPort, webPort, identityPort, mailPort] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  say(`starting the stack on random ports (data in ${dataDir})…`);
  const stack = await startStack({
    say,
    web: false,
    logFile: path.join(dataDir, 'stack.log'),
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: process.env.FUZZ_DATABASE_URL ?? '',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_UI_URL: '',
      API_PORT: String(apiPort),
      WEB_PORT: String(webPort),
      IDENTITY_PORT: String(identityPort),
      IDENTITY_MODE: 'local',
      AUTH0_DOMAIN: '',
      MAIL_SINK_PORT: String(mailPort),
      POSTMARK_API_URL: '',
      PUBLIC_WEB_URL: `http://127.0.0.1:${webPort}`,
      PUBLIC_API_URL: `http://127.0.0.1:${apiPort}`,
      LOG_LEVEL: 'warn',
    },
  });
  let failures = 0;
  try {
    const schemaUrl = `${stack.apiUrl}/openapi.json`;
    for (const [role, person] of ROLES) {
      const { accessToken } = await obtainAccessToken({
        issuerUrl: stack.issuerUrl,
        clientId: stack.config.identity.clientId,
        redirectUri: `http://127.0.0.1:${webPort}/auth/callback`,
        audience: stack.config.identity.audience,
        sub: demoSubject(person),
      });
      say(`fuzzing as ${role} (${person}): ${examples} examples per operation, at most ${maxTime} s`);
      const args = [
        'run',
        schemaUrl,
        '--url',
        stack.apiUrl,
        '-H',
        `Authorization: Bearer ${accessToken}`,
        '--checks',
        CHECKS.join(','),
        '--phases',
        'examples,fuzzing',
        '--max-examples',
        String(examples),
        '--max-time',
        String(maxTime),
        '--request-timeout',
        '30',
        '--workers',
        '1',
        '--no-color',
        '--continue-on-failure',
        // The inbound webhook authenticates with basic auth, not the bearer token; it has its own tests.
        '--exclude-path',
        '/inbound/postmark',
        // The live feed is an event stream that stays open by design; test/api/live.test.ts covers it.
        '--exclude-path',
        '/live',
        ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
      ];
      const code = await schemathesis(args, logFile);
      if (code !== 0) {
        failures += 1;
        say(`${role}: schemathesis reported failures (exit ${code}); see .test-artifacts/fuzz.log`);
      }
    }
  } finally {
    say('stopping the stack…');
    await stack.stop();
    if (failures === 0) fs.rmSync(dataDir, { recursive: true, force: true });
    else say(`stack logs kept in ${dataDir}/stack.log`);
  }
  say(failures === 0 ? 'no 5xx and no answer contradicting the document' : `${failures} role(s) with failures`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
