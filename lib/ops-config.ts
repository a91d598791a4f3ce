import { z } from 'zod';

/**
 * Operations settings: health/metrics endpoints, tracing, CORS, shutdown, worker versioning
 * and retention. Parsed from the environment like lib/config.ts, kept apart because they
 * describe how the processes are run, not what the product does.
 */
const port = z.coerce.number().int().min(0).max(65535);
// Empty counts as unset. Workflow tasks need two slots at least: Temporal's core refuses a worker
// with a workflow cache and fewer than two pollers, and it polls only with a free slot.
const slotCount = (min: number, fallback: number) => z.preprocess((v) => (v === undefined || String(v).trim() === '' ? fallback : v), z.coerce.number().int().min(min).max(1000));

export interface WorkerSlots {
  workflowTasks: number;
  localActivities: number;
  activities: number;
}

/**
 * How many tasks of each kind one worker runs at once. The SDK's defaults (40 workflow tasks,
 * 100 local activities, 100 activities) let a worker take far more than its CPU and database can
 * run at once, so under a flood most of the wait happened inside the worker, in arrival order,
 * where task priority cannot reach: while 50 clients created low tickets, a critical create's p95
 * was 1.2–1.8 s, of which 0.3–1.1 s waiting inside the worker (bench, two cores, SQLite). With
 * these the backlog stays in Temporal's task queue, which hands out the critical ticket's task
 * first: 0.6–0.8 s, 0.15–0.25 s of it inside the worker, and creation at ten clients is as fast as
 * before (docs/performance.md, 4 December, evening). A workflow task holds its slot
 * while its local activities (short writes to our own database) run, hence twice as many of
 * those; activities (notifications, email delivery, fan-out) mostly wait on the database or
 * Postmark, hence more again. Nothing that waits on Postmark runs as a local activity. A larger
 * machine may raise them; measure with the bench's flood scenario.
 */
export const DEFAULT_WORKER_SLOTS: WorkerSlots = { workflowTasks: 8, localActivities: 16, activities: 32 };
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).optional());

const OpsSchema = z.object({
  /** The worker's own HTTP server (/healthz, /readyz, /metrics): loopback unless a scraper needs it elsewhere. */
  WORKER_HTTP_HOST: z.string().default('127.0.0.1'),
  // 0 picks a free port (logged at start), so several workers on one machine never collide; deployments set one.
  WORKER_HTTP_PORT: port.default(0),
  /** host:port where Temporal Core serves its worker metrics (Prometheus); the worker's /metrics includes them. */
  TEMPORAL_METRICS_BIND: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[^:]+:\d+$/, 'must be host:port').optional()),
  /** When set, /metrics answers only requests bearing this token (scrapers support bearer auth). */
  METRICS_TOKEN: optionalString,
  /** Traces: none, console (stdout, for a look during development) or otlp (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318). */
  OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
  OTEL_SERVICE_NAME: optionalString,
  /** Browser origins allowed to call the API directly, comma separated; empty means none (the portal calls it server-side). */
  CORS_ORIGINS: z.string().default(''),
  /** How many workflow tasks, local activities and activities one worker runs at once (DEFAULT_WORKER_SLOTS). */
  WORKER_MAX_WORKFLOW_TASKS: slotCount(2, DEFAULT_WORKER_SLOTS.workflowTasks),
  WORKER_MAX_LOCAL_ACTIVITIES: slotCount(1, DEFAULT_WORKER_SLOTS.localActivities),
  WORKER_MAX_ACTIVITIES: slotCount(1, DEFAULT_WORKER_SLOTS.activities),
  /** How long a stopping process waits for in-flight requests and activities before it gives up on them. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /** Worker Deployment Versioning: the deployment's name and this release's build id (unset: unversioned worker). */
  WORKER_DEPLOYMENT_NAME: z.string().trim().min(1).default('durable-ticketing'),
  WORKER_BUILD_ID: optionalString,
  /** Attachments of tickets closed longer ago than this are purged by the retention schedule; unset turns it off. */
  RETENTION_ATTACHMENT_DAYS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).optional()),
  RETENTION_CRON: z.string().default('30 3 * * *'),
});

export interface OpsConfig {
  workerHttp: { host: string; port: number };
  temporalMetricsBind?: string;
  metricsToken?: string;
  tracing: { exporter: 'none' | 'console' | 'otlp'; serviceName?: string };
  corsOrigins: string[];
  shutdownGraceMs: number;
  workerSlots: WorkerSlots;
  versioning: { deploymentName: string; buildId?: string };
  retention: { attachmentDays?: number; cron: string };
}

export function loadOpsConfig(env: NodeJS.ProcessEnv = process.env): OpsConfig {
  const parsed = OpsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const raw = parsed.data;
  return {
    workerHttp: { host: raw.WORKER_HTTP_HOST, port: raw.WORKER_HTTP_PORT },
    temporalMetricsBind: raw.TEMPORAL_METRICS_BIND,
    metricsToken: raw.METRICS_TOKEN,
    tracing: { exporter: raw.OTEL_TRACES_EXPORTER, serviceName: raw.OTEL_SERVICE_NAME },
    corsOrigins: raw.CORS_ORIGINS.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean),
    shutdownGraceMs: raw.SHUTDOWN_GRACE_SECONDS * 1000,
    workerSlots: { workflowTasks: raw.WORKER_MAX_WORKFLOW_TASKS, localActivities: raw.WORKER_MAX_LOCAL_ACTIVITIES, activities: raw.WORKER_MAX_ACTIVITIES },
    versioning: { deploymentName: raw.WORKER_DEPLOYMENT_NAME, buildId: raw.WORKER_BUILD_ID },
    retention: { attachmentDays: raw.RETENTION_ATTACHMENT_DAYS, cron: raw.RETENTION_CRON },
  };
}
