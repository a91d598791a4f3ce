import { Client } from '@temporalio/client';
import { assertIdentityConfigured, ConfigError, loadConfig } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { defineModels } from '../lib/db/models';
import { createLogger } from '../lib/logger';
import type { Readiness } from '../lib/observability/health';
import { closeGracefully } from '../lib/observability/http';
import { createTracing } from '../lib/observability/tracing';
import { loadOpsConfig } from '../lib/ops-config';
import { createPostmarkClient, DEFAULT_SINK_TOKEN } from '../mail/postmark';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';

/** The API process. Stateless: run as many as needed behind a load balancer. */
async function main(): Promise<void> {
  const config = loadConfig();
  assertIdentityConfigured(config);
  const ops = loadOpsConfig();
  const logger = createLogger('api', config.logLevel);
  const tracing = createTracing(ops.tracing, 'api');
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const plain = await connectClient(config.temporal);
  const client = tracing.enabled
    ? new Client({ connection: plain.connection, namespace: config.temporal.namespace, interceptors: { workflow: tracing.clientInterceptors } })
    : plain;
  const mail = {
    // Edited templates go to Postmark at once when there is one to talk to (as the worker decides).
    postmark: config.mail.apiUrl || config.mail.serverToken !== DEFAULT_SINK_TOKEN ? createPostmarkClient(config.mail) : undefined,
    webUrl: config.web.publicUrl,
  };
  const app = createApp({
    config,
    client,
    sequelize,
    models: defineModels(sequelize),
    logger,
    mail,
    resumeImports: true,
    corsOrigins: ops.corsOrigins,
    metricsToken: ops.metricsToken,
    scim: process.env.SCIM_TOKEN ? { token: process.env.SCIM_TOKEN, clientName: process.env.SCIM_CLIENT_NAME } : undefined,
    signInProvisioning: { domains: (process.env.SIGNIN_PROVISIONING_DOMAINS ?? '').split(',').filter((d) => d.trim()) },
  });
  // Express 5 hands a listen error (the port taken) to this callback instead of throwing: without
  // the check the API logged "listening", served nothing, and exited 0 once its event loop emptied.
  const server = app.listen(config.api.port, config.api.host, (err?: Error) => {
    if (err) {
      logger.fatal({ err, port: config.api.port, host: config.api.host }, 'api could not listen');
      process.exit(1);
    }
    logger.info({ url: `http://${config.api.host}:${config.api.port}/api/v1` }, 'api listening');
  });
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: ops.shutdownGraceMs }, 'api stopping: finishing requests in flight');
    await closeGracefully(server, { graceMs: ops.shutdownGraceMs, logger, readiness: app.locals.readiness as Readiness });
    await (app.locals.stopBackgroundWork as () => Promise<void>)();
    await client.connection.close();
    await sequelize.close();
    await tracing.shutdown();
    logger.info('api stopped');
    process.exit(0);
  };
  process.once('SIGINT', (s) => void shutdown(s));
  process.once('SIGTERM', (s) => void shutdown(s));
}

main().catch((err: unknown) => {
  // A configuration refusal is for the operator to read, not a stack trace.
  console.error(err instanceof ConfigError ? `api: refusing to start: ${err.message}` : err);
  process.exit(1);
});
