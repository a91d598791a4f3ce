import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, DefaultLogger, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import type { ActivityDeps } from '../../activities';
import { createApp, type AppDeps } from '../../api/app';
import type { Config } from '../../lib/config';
import type { Tracing } from '../../lib/observability/tracing';
import { demoSubject } from '../../lib/db/demo-org';
import { createEmailRelay } from '../../mail/relay';
import { createTicketWorker, WORKFLOW_BUNDLE_OPTIONS } from '../../temporal/worker';
import { TICKET_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { runTs, type RunningChild } from './child-process';
import type { DemoUserKey } from './demo-accounts';
import { obtainAccessToken } from './oidc-login';
import { startWithRetries } from './retry';
import { createTestDatabase, type TestDatabase } from './test-database';

export const AUDIENCE = 'https://api.ticketing.local';
export const CLIENT_ID = 'ticketing-portal';
const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';

let runtimeInstalled = false;
function quietRuntime(): void {
  // Runtime.install may run once per module registry; the SDK's own logs would drown test output.
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Harness {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  taskQueue: string;
  apiUrl: string;
  config: Pick<Config, 'identity' | 'temporal' | 'database'>;
  bundle: WorkflowBundleWithSourceMap;
  app: ReturnType<typeof createApp>;
  token(user: DemoUserKey): Promise<string>;
  userId(user: DemoUserKey): Promise<number>;
  categoryId(code: string): Promise<number>;
  request<T = any>(method: string, path: string, options?: { as?: DemoUserKey; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  startInProcessWorker(): Promise<void>;
  stopInProcessWorker(): Promise<void>;
  /** The worker as the production process, so a test can kill it like an operator's `kill -9`. */
  spawnWorkerProcess(): RunningChild;
  stop(): Promise<void>;
}

/**
 * Everything one test file needs, all real: a Temporal dev server (createLocal with the
 * CLI found by global setup), a migrated and seeded database, the Express API on a
 * random port, and tokens from the real local issuer.
 */
export async function startHarness(
  options: {
    worker?: boolean;
    /** How long the API waits on Temporal before its 503; generous by default, as a loaded machine needs. */
    requestTimeoutMs?: number;
    config?: Partial<Pick<Config, 'attachments' | 'mail' | 'appSecret'>>;
    appDeps?: Partial<AppDeps>;
    activityDeps?: Partial<ActivityDeps>;
    /** OpenTelemetry on the API's Temporal client, in the workflow bundle and on the in-process worker. */
    tracing?: Tracing;
  } = {},
): Promise<Harness> {
  quietRuntime();
  const cli = process.env.TEMPORAL_CLI;
  const issuerUrl = process.env.TEST_ISSUER_URL ?? 'http://127.0.0.1:9/';
  if (!cli) throw new Error('Run the tests through jest so global setup finds the Temporal CLI');

  const [env, db, bundle] = await Promise.all([
    startWithRetries(() =>
      TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: cli },
          searchAttributes: [...TICKET_SEARCH_ATTRIBUTES],
          extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true', '--log-level', 'error'],
        },
      }),
    ),
    createTestDatabase(),
    bundleWorkflowCode({
      ...WORKFLOW_BUNDLE_OPTIONS,
      // Turns a failed assertion inside the workflow into a failed workflow instead of an endless task retry.
      workflowInterceptorModules: [require.resolve('@temporalio/testing/lib/assert-to-failure-interceptor'), ...(options.tracing?.workerOptions.workflowModules ?? [])],
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  const client = options.tracing
    ? new Client({ connection: env.connection, namespace: env.namespace ?? 'default', interceptors: { workflow: options.tracing.clientInterceptors } })
    : env.client;
  const taskQueue = `tickets-${crypto.randomUUID()}`;
  const address = env.connection.options.address;
  const temporal: Config['temporal'] = {
    address,
    embedded: false,
    devPort: 0,
    uiPort: 0,
    namespace: env.namespace ?? 'default',
    taskQueue,
    tls: false,
    uiUrl: '',
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
  };
  const identity: Config['identity'] = { mode: 'local', issuerUrl, local: true, localPort: 0, audience: AUDIENCE, clientId: CLIENT_ID };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const emailRelay = createEmailRelay(logger);

  // Attachments land in a throwaway folder unless the test configures storage itself.
  const attachmentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-attachments-'));
  const attachments: Config['attachments'] = { dir: attachmentsDir, ...options.config?.attachments };
  const app = createApp({ config: { identity, temporal, ...options.config, attachments }, client, sequelize: db.sequelize, models: db.models, logger, ...options.appDeps });
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  const tokens = new Map<string, Promise<string>>();

  const harness: Harness = {
    env,
    db,
    taskQueue,
    apiUrl,
    bundle,
    app,
    config: { identity, temporal, database: db.database },
    token(user) {
      if (!process.env.TEST_ISSUER_URL) throw new Error('No test issuer: run the tests through jest so global setup starts it');
      if (!tokens.has(user)) {
        tokens.set(
          user,
          obtainAccessToken({ issuerUrl, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, audience: AUDIENCE, sub: demoSubject(user) }).then((t) => t.accessToken),
        );
      }
      return tokens.get(user)!;
    },
    async userId(user) {
      const row = await db.models.User.findOne({ where: { auth_subject: demoSubject(user) } });
      return row!.get('id') as number;
    },
    async categoryId(code) {
      const row = await db.models.Category.findOne({ where: { code } });
      if (!row) throw new Error(`no seeded category ${code}`);
      return row.get('id') as number;
    },
    async request(method, path, { as, body, headers = {} } = {}) {
      const requestHeaders: Record<string, string> = { ...headers };
      if (as) requestHeaders.authorization = `Bearer ${await harness.token(as)}`;
      if (body !== undefined) requestHeaders['content-type'] ??= 'application/json';
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: requestHeaders,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
    async startInProcessWorker() {
      if (worker) return;
      worker = await createTicketWorker({
        connection: env.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        deps: { sequelize: db.sequelize, models: db.models, logger, temporal: { client: env.client, taskQueue }, emailRelay, ...options.activityDeps },
        logger,
        workflowBundle: bundle,
        tracing: options.tracing,
      });
      workerRun = worker.run();
    },
    async stopInProcessWorker() {
      if (!worker) return;
      worker.shutdown();
      await workerRun;
      // Emails the relay is still sending would otherwise reach a database that is gone.
      await emailRelay.idle();
      worker = undefined;
    },
    spawnWorkerProcess() {
      return runTs(
        'temporal/worker-main.ts',
        {
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: temporal.namespace,
          TEMPORAL_TASK_QUEUE: taskQueue,
          DATABASE_URL: db.database.url,
          LOG_LEVEL: 'info',
        },
        { logPrefix: 'worker' },
      );
    },
    async stop() {
      // Imports still running would otherwise call Temporal after it is gone (and fail the next file).
      await (app.locals.stopBackgroundWork as () => Promise<void>)();
      await harness.stopInProcessWorker();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await env.teardown();
      await db.drop();
      fs.rmSync(attachmentsDir, { recursive: true, force: true });
    },
  };
  if (options.worker !== false) await harness.startInProcessWorker();
  return harness;
}
