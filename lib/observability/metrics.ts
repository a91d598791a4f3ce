import type { Request, RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * Prometheus metrics, one registry per process (API or worker), so tests can run several
 * processes' worth in one Jest file without clashing registrations.
 *
 * Two kinds of series:
 * - per process: HTTP latency, exports, activity outcomes, projection lag and database statements,
 *   counted where they happen;
 * - read-model gauges (outbox backlog and sends, SLA warnings/breaches/escalations, imports), read
 *   from the database at scrape time. Every replica reports the same values for these, so
 *   aggregate them with max(), not sum().
 */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  exports: Counter<'kind'>;
  activityRuns: Counter<'activity' | 'outcome'>;
  projectionLag: Histogram<never>;
}

export const SLA_EVENT_TYPES = { sla_warning: 'warning', sla_breached: 'breach', escalation: 'escalation' } as const;

export function createMetrics(opts: { service: 'api' | 'worker'; sequelize?: Sequelize }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'ticketing_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const exports = new Counter({
    name: 'ticketing_exports_total',
    help: 'CSV exports served (ticket lists, reports, import errors)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const activityRuns = new Counter({
    name: 'ticketing_activity_runs_total',
    help: 'Activity attempts on this worker by activity and outcome (completed, failed)',
    labelNames: ['activity', 'outcome'] as const,
    registers: [registry],
  });
  const projectionLag = new Histogram({
    name: 'ticketing_projection_lag_seconds',
    help: 'Time from a ticket change in its workflow to its projection into the read model',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });

  if (opts.sequelize) {
    countStatements(registry, opts.sequelize);
    registerReadModelGauges(registry, opts.sequelize);
  }
  return { registry, httpDuration, exports, activityRuns, projectionLag };
}

/** The statement kinds counted apart; anything else (PRAGMA, SAVEPOINT, SHOW…) is `other`. */
const STATEMENT_KINDS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback']);

/**
 * Every statement this process sends to the database, by kind: what a ticket costs the database
 * whatever the machine's speed (the benchmark divides it by the tickets created), and where a
 * change in load comes from. Counted after the statement ends, failed ones included.
 */
function countStatements(registry: Registry, sequelize: Sequelize): void {
  const statements = new Counter({
    name: 'ticketing_db_statements_total',
    help: 'SQL statements this process sent to the database, by kind (select, insert, update, delete, begin, commit, rollback, other)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  sequelize.addHook('afterQuery', (_options, query) => {
    // Every dialect's query keeps the statement it ran in `sql`; the typings leave it out.
    const { sql } = query as unknown as { sql?: unknown };
    const verb = typeof sql === 'string' ? /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() : undefined;
    // MySQL opens a transaction with START TRANSACTION, SQLite with BEGIN.
    const kind = verb === 'start' ? 'begin' : verb && STATEMENT_KINDS.has(verb) ? verb : 'other';
    statements.inc({ kind });
  });
}

function registerReadModelGauges(registry: Registry, sequelize: Sequelize): void {
  const count = async <T extends Record<string, unknown>>(sql: string, replacements?: Record<string, unknown>) =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });

  new Gauge({
    name: 'ticketing_email_outbox',
    help: 'Email outbox rows by status: pending + sending are the backlog, sent and failed the deliveries so far',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await count<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM email_outbox GROUP BY status');
      this.reset();
      for (const status of ['pending', 'sending', 'sent', 'failed']) this.set({ status }, 0);
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });
  new Gauge({
    name: 'ticketing_email_outbox_oldest_pending_seconds',
    help: 'Age of the oldest email still waiting to be sent (0 when none)',
    registers: [registry],
    async collect() {
      const [row] = await count<{ oldest: string | Date | null }>("SELECT MIN(created_at) AS oldest FROM email_outbox WHERE status IN ('pending', 'sending')");
      this.set(row?.oldest ? Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'ticketing_sla_events',
    help: 'SLA warnings, breaches and escalation steps recorded on tickets so far',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const rows = await count<{ type: keyof typeof SLA_EVENT_TYPES; n: number }>(
        'SELECT type, COUNT(*) AS n FROM ticket_events WHERE type IN (:types) GROUP BY type',
        { types: Object.keys(SLA_EVENT_TYPES) },
      );
      this.reset();
      for (const kind of Object.values(SLA_EVENT_TYPES)) this.set({ kind }, 0);
      for (const row of rows) this.set({ kind: SLA_EVENT_TYPES[row.type] }, Number(row.n));
    },
  });
  new Gauge({
    name: 'ticketing_sla_breached_open_tickets',
    help: 'Tickets not yet resolved or closed whose SLA is breached',
    registers: [registry],
    async collect() {
      const [row] = await count<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE sla_breached = :yes AND status NOT IN ('resolved', 'closed', 'cancelled', 'rejected')", { yes: true });
      this.set(Number(row?.n ?? 0));
    },
  });
  new Gauge({
    name: 'ticketing_imports',
    help: 'Bulk imports by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await count<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM imports GROUP BY status');
      this.reset();
      for (const status of ['queued', 'running', 'completed', 'failed']) this.set({ status }, 0);
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });
  new Gauge({
    name: 'ticketing_imported_rows',
    help: 'Rows of finished and running imports by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      const [row] = await count<{ created: number | null; existing: number | null; failed: number | null }>(
        'SELECT SUM(created_count) AS created, SUM(existing_count) AS existing, SUM(failed_count) AS failed FROM imports',
      );
      this.set({ outcome: 'created' }, Number(row?.created ?? 0));
      this.set({ outcome: 'existing' }, Number(row?.existing ?? 0));
      this.set({ outcome: 'failed' }, Number(row?.failed ?? 0));
    },
  });
}

/**
 * Times every request under its route template (`/api/v1/tickets/:number`, never the raw
 * URL, so ticket numbers do not explode the series) and counts CSV exports.
 */
/** The matched route's template (`/api/v1/tickets/:number`), once routing is done; undefined when no route matched. */
export function routeTemplate(req: Request): string | undefined {
  const template = req.route?.path;
  return typeof template === 'string' ? `${req.baseUrl}${template === '/' ? '' : template}` : undefined;
}

export function httpMetricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.once('finish', () => {
      const route = routeTemplate(req) ?? 'unmatched';
      end({ route, status: String(res.statusCode) });
      if (res.statusCode < 300 && String(res.getHeader('content-type') ?? '').startsWith('text/csv')) {
        metrics.exports.inc({ kind: route.includes('/reports') ? 'report' : route.includes('/imports') ? 'import-errors' : 'tickets' });
      }
    });
    next();
  };
}
