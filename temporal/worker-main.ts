import type { Logger } from 'pino';
import { loadConfig, type Config } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { defineModels, type Models } from '../lib/db/models';
import { createLogger } from '../lib/logger';
import { createSigner } from '../lib/signing';
import { createPostmarkClient, DEFAULT_SINK_TOKEN, syncTemplates } from '../mail/postmark';
import type { MailDeps } from '../mail/sender';
import { connectClient, connectWorker } from './connection';
import { ensureEmailOutboxSweep } from './schedules';
import { createTicketWorker } from './worker';

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
  const logger = createLogger('worker', config.logLevel);
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const models = defineModels(sequelize);
  const mail = await mailDeps(config, models, logger);
  const connection = await connectWorker(config.temporal);
  // Activities start email delivery workflows with it; it stays open while the worker runs.
  const client = await connectClient(config.temporal);
  const worker = await createTicketWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { sequelize, models, logger, oncallWebhookUrl: config.oncallWebhookUrl, mail, temporal: { client, taskQueue: config.temporal.taskQueue } },
    logger,
  });
  if (mail) {
    const sweep = await ensureEmailOutboxSweep(client, config.temporal.taskQueue);
    logger.info({ schedule: sweep }, 'email outbox sweep scheduled');
  }
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker started');
  // Worker.run() handles SIGINT/SIGTERM itself: it drains in-flight tasks, then resolves.
  await worker.run();
  await client.connection.close();
  await connection.close();
  await sequelize.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
