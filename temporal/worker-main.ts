import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { defineModels, type Models } from '../lib/db/models';
import { createLogger } from '../lib/logger';
import { createStorage } from '../attachments/storage';
import { createReadiness } from '../lib/observability/health';
import { createMetrics } from '../lib/observability/metrics';
import { createTracing } from '../lib/observability/tracing';
import { loadOpsConfig } from '../lib/ops-config';
import { createSigner } from '../lib/signing';
import { createPostmarkClient, DEFAULT_SINK_TOKEN, syncTemplates } from '../mail/postmark';
import { createEmailRelay } from '../mail/relay';
import type { MailDeps } from '../mail/sender';
import { connectClient, connectWorker } from './connection';
import { ensureAttachmentRetention, ensureEmailOutboxSweep } from './schedules';
import { createTicketWorker } from './worker';
import { startWorkerHttpServer } from './worker-observability';

/**
 * Email goes out when there is somewhere to send it: the local sink (POSTMARK_API_URL) or
 * Postmark with a real server token. The default token only ever works against the sink.
 */
async function mailDeps(config: Config, models: Models, logger: Logger): Promise<MailDeps | undefined> {
  if (!config.mail.apiUrl && config.mail.serverToken === DEFAULT_SINK_TOKEN) {
    logger.warn('email is off: set POSTMARK_API_URL (the local sink) or a real POSTMARK_SERVER_TOKEN');
    return undefined;
  }
  const postmark = createPostmarkClient(config.mail);
  await syncTemplates(postmark, models, logger);
  if (!config.appSecret) logger.warn('APP_SECRET is not set: emails carry no approval links and replies go to the plain support address');
  return {
    postmark,
    from: config.mail.from,
    supportAddress: config.mail.supportAddress,
    webUrl: config.web.publicUrl,
    apiUrl: config.api.publicUrl,
    signer: config.appSecret ? createSigner(config.appSecret) : undefined,
    retry: config.mail.retry,
  };
}

/** The worker process: runs ticket workflows and their activities. Scale by running more of these. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ops = loadOpsConfig();
  const logger = createLogger('worker', config.logLevel);
  // Once per process, before any connection: Core's own worker metrics (task slots, poll and
  // schedule-to-start latencies, sticky cache) go to a Prometheus endpoint the worker's /metrics merges in.
  Runtime.install({
    logger: new DefaultLogger(config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN'),
    telemetryOptions: ops.temporalMetricsBind ? { metrics: { prometheus: { bindAddress: ops.temporalMetricsBind } } } : undefined,
  });
  const tracing = createTracing(ops.tracing, 'worker');
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const models = defineModels(sequelize);
  const mail = await mailDeps(config, models, logger);
  const connection = await connectWorker(config.temporal);
  const metrics = createMetrics({ service: 'worker', sequelize });
  const readiness = createReadiness({ sequelize, pingTemporal: () => connection.workflowService.getSystemInfo({}) });
  const http = await startWorkerHttpServer({
    ...ops.workerHttp,
    readiness,
    metrics,
    metricsToken: ops.metricsToken,
    coreMetricsUrl: ops.temporalMetricsBind ? `http://${ops.temporalMetricsBind}/metrics` : undefined,
    logger,
  });
  // Activities start email delivery workflows with it; it stays open while the worker runs.
  const client = await connectClient(config.temporal);
  const emailRelay = createEmailRelay(logger);
  const worker = await createTicketWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { sequelize, models, logger, oncallWebhookUrl: config.oncallWebhookUrl, mail, temporal: { client, taskQueue: config.temporal.taskQueue }, attachmentStorage: createStorage(config.attachments), emailRelay },
    logger,
    metrics,
    tracing,
    deployment: ops.versioning.buildId ? { deploymentName: ops.versioning.deploymentName, buildId: ops.versioning.buildId } : undefined,
    shutdownGraceTime: ops.shutdownGraceMs,
    slots: ops.workerSlots,
  });
  if (mail) {
    const sweep = await ensureEmailOutboxSweep(client, config.temporal.taskQueue);
    logger.info({ schedule: sweep }, 'email outbox sweep scheduled');
  }
  const retention = await ensureAttachmentRetention(client, config.temporal.taskQueue, ops.retention);
  logger.info({ schedule: retention, days: ops.retention.attachmentDays ?? null, cron: ops.retention.cron }, 'attachment retention schedule');
  // Readiness turns false as soon as a stop is asked for; Worker.run() handles SIGINT/SIGTERM
  // itself: it stops polling, lets running activities finish (up to the grace time), then resolves.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => readiness.markStopping());
  logger.info(
    { taskQueue: config.temporal.taskQueue, address: config.temporal.address, http: http.url, buildId: ops.versioning.buildId ?? null },
    'worker started',
  );
  try {
    await worker.run();
  } finally {
    // The relay's sends end before the database closes. A Postmark call still running past a
    // send's budget may finish after it; its row keeps its claim, and whoever takes the lapsed
    // claim asks Postmark first, so that email is not sent twice.
    await emailRelay.idle();
  }
  await new Promise<void>((resolve) => http.server.close(() => resolve()));
  await client.connection.close();
  await connection.close();
  await sequelize.close();
  await tracing.shutdown();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
