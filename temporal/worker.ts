import path from 'node:path';
import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

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
}

export async function createTicketWorker(options: TicketWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, deps, workflowBundle } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    interceptors: options.workflowInterceptorModules ? { workflowModules: options.workflowInterceptorModules } : undefined,
    maxCachedWorkflows: options.maxCachedWorkflows,
  });
}
