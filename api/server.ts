import { assertIdentityConfigured, ConfigError, loadConfig } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { defineModels } from '../lib/db/models';
import { createLogger } from '../lib/logger';
import { createPostmarkClient, DEFAULT_SINK_TOKEN } from '../mail/postmark';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';

/** The API process. Stateless: run as many as needed behind a load balancer. */
async function main(): Promise<void> {
  const config = loadConfig();
  assertIdentityConfigured(config);
  const logger = createLogger('api', config.logLevel);
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const client = await connectClient(config.temporal);
  const mail = {
    // Edited templates go to Postmark at once when there is one to talk to (as the worker decides).
    postmark: config.mail.apiUrl || config.mail.serverToken !== DEFAULT_SINK_TOKEN ? createPostmarkClient(config.mail) : undefined,
    webUrl: config.web.publicUrl,
  };
  const app = createApp({ config, client, sequelize, models: defineModels(sequelize), logger, mail, resumeImports: true, scim: process.env.SCIM_TOKEN ? { token: process.env.SCIM_TOKEN, clientName: process.env.SCIM_CLIENT_NAME } : undefined,
    signInProvisioning: { domains: (process.env.SIGNIN_PROVISIONING_DOMAINS ?? '').split(',').filter((d) => d.trim()) },
  });
  const server = app.listen(config.api.port, config.api.host, () => {
    logger.info({ url: `http://${config.api.host}:${config.api.port}/api/v1` }, 'api listening');
  });
  const shutdown = () => {
    server.close(() => {
      void (app.locals.stopBackgroundWork as () => Promise<void>)()
        .then(() => client.connection.close())
        .then(() => sequelize.close())
        .then(() => process.exit(0));
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  // A configuration refusal is for the operator to read, not a stack trace.
  console.error(err instanceof ConfigError ? `api: refusing to start: ${err.message}` : err);
  process.exit(1);
});
