import path from 'node:path';
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from 'pino';
import { DEFAULT_WORKER_SLOTS, type WorkerSlots } from '../lib/ops-config';
import { createActivities, type ActivityDeps } from '../activities';
import type { Metrics } from '../lib/observability/metrics';
import type { Tracing } from '../lib/observability/tracing';
import { activityMetricsInterceptor } from './worker-observability';

const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

/**
 * Modules evaluated once per worker thread and shared by every workflow it runs, instead of once
 * per workflow (the SDK's `preloadModules`, with its reusable V8 context): the business-time
 * module, and with it the luxon build it imports, so its memo of calendars' days serves every
 * ticket on a calendar rather than starting empty in each. The memo only caches pure answers (the
 * same whoever asked first), so sharing cannot change what a workflow decides. Nothing listed here
 * may hold per-workflow state or touch workflow APIs, and workflow code never sets luxon's global
 * `Settings`. (Listing 'luxon' itself would preload its CommonJS build, which no workflow uses.)
 */
const WORKFLOW_PRELOAD_MODULES = [path.resolve(__dirname, '../workflows/domain/business-time.ts')];

/** What the ticket workflows' bundle is built from, here and wherever a test builds its own, so both bundle alike. */
export const WORKFLOW_BUNDLE_OPTIONS = { workflowsPath: WORKFLOWS_PATH, preloadModules: WORKFLOW_PRELOAD_MODULES };

export interface TicketWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  logger: Logger;
  /** A pre-built bundle (tests build one per file); otherwise the worker bundles at start. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Extra workflow interceptors, e.g. the testing package's assertion interceptor. */
  workflowInterceptorModules?: string[];
  maxCachedWorkflows?: number;
  /** Activity outcome and projection-lag metrics. */
  metrics?: Metrics;
  /** OpenTelemetry interceptors and the workflow span sink. */
  tracing?: Tracing;
  /**
   * Worker Deployment Versioning: this release's build id in the named deployment. Ticket
   * workflows are pinned to the build that started them and move on at continue-as-new.
   */
  deployment?: { deploymentName: string; buildId: string };
  /** How long shutdown waits for running activities before cancelling them. */
  shutdownGraceTime?: number;
  /** How many tasks of each kind the worker runs at once (WORKER_MAX_*); DEFAULT_WORKER_SLOTS otherwise. */
  slots?: WorkerSlots;
}

export async function createTicketWorker(options: TicketWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, deps, workflowBundle, slots = DEFAULT_WORKER_SLOTS } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: WORKFLOW_PRELOAD_MODULES } }),
    activities: createActivities(deps),
    interceptors: {
      workflowModules: [...(options.workflowInterceptorModules ?? []), ...(options.tracing?.workerOptions.workflowModules ?? [])],
      activity: [...(options.metrics ? [activityMetricsInterceptor(options.metrics)] : []), ...(options.tracing?.workerOptions.activity ?? [])],
    },
    ...(options.tracing?.workerOptions.sinks ? { sinks: options.tracing.workerOptions.sinks } : {}),
    maxCachedWorkflows: options.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: slots.workflowTasks,
    maxConcurrentLocalActivityExecutions: slots.localActivities,
    maxConcurrentActivityTaskExecutions: slots.activities,
    // Up to half of the polls for new tickets' first tasks (the normal queue, where a create
    // waits), the rest for tasks of tickets this worker already holds (its sticky queue: updates
    // such as an approval, and notification outcomes). With the few slots above, the SDK's 0.2 let
    // creates at ten clients wait behind sticky tasks (p95 1.9 s against 0.8 s); 1 lets polls for
    // first tasks take every slot, and approvals after a burst of creates waited 1–1.6 s for a
    // sticky poll (p95 190 ms against 60–70 ms at 0.2 and 0.5). Bench, 4 December, evening.
    nonStickyToStickyPollRatio: 0.5,
    // Only when given: the SDK rejects an explicit undefined duration.
    ...(options.shutdownGraceTime !== undefined ? { shutdownGraceTime: options.shutdownGraceTime } : {}),
    workerDeploymentOptions: options.deployment
      ? { version: options.deployment, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' }
      : undefined,
  });
}
