import { loadConfig } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { defineModels } from '../lib/db/models';
import { createLogger } from '../lib/logger';
import { connectWorker } from './connection';
import { createTicketWorker } from './worker';

/** The worker process: runs ticket workflows and their activities. Scale by running more of these. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('worker', config.logLevel);
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const connection = await connectWorker(config.temporal);
  const worker = await createTicketWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { sequelize, models: defineModels(sequelize), logger, oncallWebhookUrl: config.oncallWebhookUrl },
    logger,
  });
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker started');
  // Worker.run() handles SIGINT/SIGTERM itself: it drains in-flight tasks, then resolves.
  await worker.run();
  await connection.close();
  await sequelize.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
