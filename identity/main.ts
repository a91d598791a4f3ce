import path from 'node:path';
import { assertIdentityConfigured, ConfigError, loadConfig } from '../lib/config';
import { openAccountDirectory } from '../lib/db/directory';
import { createLogger } from '../lib/logger';
import { startIdentityServer } from './server';

/**
 * The local issuer as its own process, as `npm start` runs it: people come from the
 * read model's users table, keys from the data directory so tokens survive restarts.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('identity', config.logLevel);
  if (config.identity.mode === 'auth0') {
    throw new ConfigError(`AUTH0_DOMAIN is set, so ${config.identity.issuerUrl} is the issuer; the local one has nothing to do`);
  }
  assertIdentityConfigured(config);
  const directory = await openAccountDirectory(config);
  const web = new URL(config.web.publicUrl);
  // The same portal may be opened as 127.0.0.1 or localhost; both must be valid redirect targets.
  const portalOrigins = [...new Set([web.origin, `http://127.0.0.1:${config.web.port}`, `http://localhost:${config.web.port}`])];
  const server = await startIdentityServer({
    port: config.identity.localPort,
    host: config.identity.localHost,
    issuer: config.identity.issuerUrl,
    audience: config.identity.audience,
    clients: [
      {
        clientId: config.identity.clientId,
        clientName: 'Durable Ticketing',
        redirectUris: portalOrigins.map((o) => `${o}/auth/callback`),
        postLogoutRedirectUris: portalOrigins.map((o) => `${o}/`),
      },
    ],
    directory,
    keyFile: path.join(config.dataDir, 'identity-keys.json'),
    logger,
  });
  logger.info({ url: `${server.url}/` }, 'local OpenID provider (Auth0 stand-in) listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    Promise.all([server.close(), directory.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`identity: refusing to start: ${err.message}`);
  else console.error('identity: failed to start', err);
  process.exit(1);
});
