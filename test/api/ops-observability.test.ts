import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { Sequelize } from 'sequelize';
import { createSequelize } from '../../lib/db/connection';
import { createReadiness } from '../../lib/observability/health';
import { closeGracefully, createOpsRouter } from '../../lib/observability/http';
import { createMetrics } from '../../lib/observability/metrics';
import { createTicketWorker } from '../../temporal/worker';
import { startWorkerHttpServer } from '../../temporal/worker-observability';
import { runTs, type RunningChild } from '../support/child-process';
import { startHarness, type Harness } from '../support/harness';
import { freePort } from '../support/ports';

let h: Harness;
const logger = pino({ level: 'silent' });
const root = () => h.apiUrl.replace(/\/api\/v1$/, '');

beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

/** Polls until `probe` holds; fails naming what it waited for. */
async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics', () => {
  test('after a ticket lifecycle, the API and worker /metrics expose latency, projection lag, outbox, SLA, import and export series', async () => {
    const metrics = createMetrics({ service: 'worker', sequelize: h.db.sequelize });
    const worker = await createTicketWorker({
      connection: h.env.nativeConnection,
      namespace: h.config.temporal.namespace,
      taskQueue: h.taskQueue,
      deps: { sequelize: h.db.sequelize, models: h.db.models, logger },
      logger,
      workflowBundle: h.bundle,
      metrics,
    });
    const running = worker.run();
    const readiness = createReadiness({ sequelize: h.db.sequelize, pingTemporal: () => h.env.nativeConnection.workflowService.getSystemInfo({}) });
    const workerHttp = await startWorkerHttpServer({ host: '127.0.0.1', port: 0, readiness, metrics, logger });
    try {
      const categoryId = await h.categoryId('it-laptop');
      const created = await h.request('POST', '/tickets', {
        as: 'emma',
        headers: { 'Idempotency-Key': crypto.randomUUID() },
        body: { title: 'Metrics lifecycle', description: 'Scraped afterwards', categoryId, priority: 'high' },
      });
      expect(created.status).toBe(201);
      const number = created.body.data.number as number;
      for (const action of ['start', 'resolve']) {
        const body = action === 'resolve' ? { resolution: 'Done' } : {};
        const done = await h.request('POST', `/tickets/${number}/actions/${action}`, { as: 'lee', body });
        expect(done.status).toBe(200);
      }
      expect((await h.request('POST', `/tickets/${number}/actions/close`, { as: 'emma', body: {} })).status).toBe(200);
      const csv = await fetch(`${h.apiUrl}/tickets/export`, { headers: { authorization: `Bearer ${await h.token('lee')}` } });
      expect(csv.status).toBe(200);
      await csv.text();

      const api = await (await fetch(`${root()}/metrics`)).text();
      expect(sample(api, 'ticketing_http_request_duration_seconds_count', { route: '/api/v1/tickets', method: 'POST', status: '201' })).toBe(1);
      expect(sample(api, 'ticketing_http_request_duration_seconds_count', { route: '/api/v1/tickets/:number/actions/:action', status: '200' })).toBe(3);
      expect(sample(api, 'ticketing_exports_total', { kind: 'tickets' })).toBe(1);
      expect(sample(api, 'ticketing_email_outbox', { status: 'pending' })).toEqual(expect.any(Number));
      expect(sample(api, 'ticketing_email_outbox_oldest_pending_seconds')).toEqual(expect.any(Number));
      for (const kind of ['warning', 'breach', 'escalation']) expect(sample(api, 'ticketing_sla_events', { kind })).toEqual(expect.any(Number));
      expect(sample(api, 'ticketing_imports', { status: 'completed' })).toBe(0);
      expect(sample(api, 'ticketing_imported_rows', { outcome: 'created' })).toBe(0);

      const scraped = await (await fetch(`${workerHttp.url}/metrics`)).text();
      expect(sample(scraped, 'ticketing_projection_lag_seconds_count')).toBeGreaterThanOrEqual(4);
      // A change that notifies somebody is projected by projectAndNotify, any other by projectTicket.
      const projections = ['projectTicket', 'projectAndNotify'].map((activity) => sample(scraped, 'ticketing_activity_runs_total', { activity, outcome: 'completed' }) ?? 0);
      expect(projections[0]! + projections[1]!).toBeGreaterThanOrEqual(4);
      expect(projections[1]).toBeGreaterThanOrEqual(1);
      expect(sample(scraped, 'process_cpu_seconds_total', { service: 'worker' })).toEqual(expect.any(Number));
      expect((await fetch(`${workerHttp.url}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${workerHttp.url}/healthz`)).json()).toEqual({ status: 'alive' });
    } finally {
      worker.shutdown();
      await running;
      await new Promise((r) => workerHttp.server.close(r));
    }
  }, 120_000);

  test('every statement a process sends to the database is counted by kind, transactions and failed statements included', async () => {
    // A connection of its own, so nothing else the harness runs is counted here.
    const sequelize = createSequelize(h.db.database);
    try {
      const metrics = createMetrics({ service: 'api', sequelize });
      // Connected first: a first connection asks the server its version (MySQL) before any statement of ours.
      await sequelize.authenticate();
      // The counter alone: a whole scrape would run the read-model gauges' own queries.
      const counted = async (kind: string) => (await metrics.registry.getSingleMetric('ticketing_db_statements_total')!.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
      const before = { select: await counted('select'), update: await counted('update'), begin: await counted('begin'), commit: await counted('commit'), rollback: await counted('rollback') };
      await sequelize.query('SELECT 1');
      await sequelize.transaction(async (transaction) => {
        await sequelize.query("UPDATE tickets SET title = title WHERE number = -1", { transaction });
      });
      await expect(sequelize.query('SELECT * FROM no_such_table')).rejects.toThrow();
      expect(await counted('select')).toBe(before.select + 2);
      expect(await counted('update')).toBe(before.update + 1);
      expect(await counted('begin')).toBe(before.begin + 1);
      expect(await counted('commit')).toBe(before.commit + 1);
      expect(await counted('rollback')).toBe(before.rollback);
    } finally {
      await sequelize.close();
    }
  });

  test('the worker process serves /healthz, /readyz and /metrics with Temporal Core worker metrics on its own port', async () => {
    const [port, corePort] = await Promise.all([freePort(), freePort()]);
    let child: RunningChild | undefined;
    try {
      child = runTs(
        'temporal/worker-main.ts',
        {
          TEMPORAL_ADDRESS: h.config.temporal.address,
          TEMPORAL_NAMESPACE: h.config.temporal.namespace,
          TEMPORAL_TASK_QUEUE: h.taskQueue,
          DATABASE_URL: h.db.database.url,
          WORKER_HTTP_PORT: String(port),
          TEMPORAL_METRICS_BIND: `127.0.0.1:${corePort}`,
          LOG_LEVEL: 'warn',
        },
        { logPrefix: 'worker' },
      );
      const url = `http://127.0.0.1:${port}`;
      await waitFor('the worker process to report ready', async () => (await fetch(`${url}/readyz`)).status === 200, 90_000);
      // Core publishes its worker series once the worker polls; a ticket gives it something to do.
      const categoryId = await h.categoryId('it-laptop');
      const created = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title: 'Core metrics', description: 'x', categoryId, priority: 'low' } });
      expect(created.status).toBe(201);
      let text = '';
      await waitFor('Temporal Core worker metrics in the worker /metrics', async () => {
        text = await (await fetch(`${url}/metrics`)).text();
        return /^temporal_workflow_task_execution_latency\w*\{/m.test(text);
      });
      expect(text).toMatch(/^temporal_\w*poll\w*\{/m);
      expect(text).toMatch(/^ticketing_activity_runs_total\{/m);
    } finally {
      await child?.stop('SIGTERM');
    }
  }, 150_000);
});

/** A TCP proxy standing between a client and MariaDB, which the test can cut and restore like a failing database host. */
async function startCuttableProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('readiness', () => {
  test('/readyz turns false while the database is down and true again when it returns; /healthz stays alive', async () => {
    const mysql = h.db.database.dialect === 'mysql';
    const url = new URL(h.db.database.url);
    const proxy = mysql ? await startCuttableProxy({ host: url.hostname, port: Number(url.port || 3306) }) : undefined;
    if (proxy) url.host = `127.0.0.1:${proxy.port}`;
    const sequelize: Sequelize = createSequelize({ url: url.toString(), dialect: h.db.database.dialect });
    const sqliteFile = mysql ? '' : decodeURIComponent(url.pathname);
    const readiness = createReadiness({ sequelize, pingTemporal: () => h.env.client.workflowService.getSystemInfo({}) });
    const app = express().use(createOpsRouter({ readiness, metrics: createMetrics({ service: 'api' }), logger }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ready = async () => {
      const response = await fetch(`${base}/readyz`);
      return { status: response.status, body: (await response.json()) as { checks: Array<{ name: string; ok: boolean; detail?: string }> } };
    };
    try {
      const before = await ready();
      expect(before.status).toBe(200);
      expect(before.body.checks.map((c) => [c.name, c.ok])).toEqual([['temporal', true], ['database', true], ['migrations', true]]);

      // Stop the database: the MariaDB host drops off the network, or SQLite's file (its volume) goes away.
      if (proxy) proxy.cut();
      else fs.renameSync(sqliteFile, `${sqliteFile}.away`);
      await waitFor('readiness to turn false with the database down', async () => (await ready()).status === 503);
      const down = await ready();
      expect(down.body.checks.find((c) => c.name === 'database')).toMatchObject({ ok: false });
      expect(down.body.checks.find((c) => c.name === 'temporal')).toMatchObject({ ok: true });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      if (proxy) proxy.restore();
      else fs.renameSync(`${sqliteFile}.away`, sqliteFile);
      await waitFor('readiness to return once the database is back', async () => (await ready()).status === 200);
    } finally {
      await new Promise((r) => server.close(r));
      await sequelize.close();
      await proxy?.close();
    }
  }, 90_000);

  test('/readyz names pending migrations', async () => {
    const sequelize = h.db.sequelize;
    const [row] = (await sequelize.query('SELECT name FROM schema_migrations ORDER BY name DESC LIMIT 1'))[0] as Array<{ name: string }> as [{ name: string }];
    await sequelize.query('DELETE FROM schema_migrations WHERE name = :name', { replacements: { name: row.name } });
    try {
      const response = await fetch(`${root()}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { checks: Array<{ name: string; ok: boolean; detail?: string }> };
      expect(body.checks.find((c) => c.name === 'migrations')).toMatchObject({ ok: false, detail: `pending migrations: ${row.name}` });
    } finally {
      await sequelize.query('INSERT INTO schema_migrations (name) VALUES (:name)', { replacements: { name: row.name } });
    }
    expect((await fetch(`${root()}/readyz`)).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  test('a request in flight when the API is told to stop completes, and new connections are refused meanwhile', async () => {
    await h.startInProcessWorker();
    const server = http.createServer(h.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    const token = await h.token('emma');
    const categoryId = await h.categoryId('it-laptop');
    const body = JSON.stringify({ title: 'Sent while the API stops', description: 'Must not be lost', categoryId, priority: 'low' });
    const half = Math.floor(body.length / 2);

    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/tickets', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': crypto.randomUUID() } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      // The request is now in flight; the rest of its body arrives after the stop began.
      setTimeout(() => req.end(body.slice(half)), 1_500);
    });
    await new Promise((r) => setTimeout(r, 300));
    const readiness = h.app.locals.readiness as import('../../lib/observability/health').Readiness;
    const stopping = closeGracefully(server, { graceMs: 30_000, logger, readiness: { check: readiness.check, markStopping: () => {} } });
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    const result = await answered;
    expect(result.status).toBe(201);
    const number = JSON.parse(result.text).data.number as number;
    await stopping;
    expect(await h.db.models.Ticket.findByPk(number)).not.toBeNull();
    await h.stopInProcessWorker();
  }, 90_000);

  test('once shutdown starts, /readyz answers 503 with a shutdown check', async () => {
    const readiness = createReadiness({ sequelize: h.db.sequelize, pingTemporal: () => h.env.client.workflowService.getSystemInfo({}) });
    readiness.markStopping();
    const { ready, checks } = await readiness.check();
    expect(ready).toBe(false);
    expect(checks).toContainEqual({ name: 'shutdown', ok: false, detail: 'shutting down' });
  });
});
