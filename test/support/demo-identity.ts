import { startIdentityServer } from '../../identity/server';
import { demoAccounts } from './demo-accounts';
import { freePort } from './ports';

/**
 * The real local issuer with the demo people, run as its own process for the test
 * run (oidc-provider is ESM-only, which Jest's CommonJS runtime cannot load).
 * Prints one JSON line with its URL, then serves until killed.
 */
async function main(): Promise<void> {
  const accounts = demoAccounts();
  const port = Number(process.env.IDENTITY_PORT) || (await freePort());
  const server = await startIdentityServer({
    port,
    issuer: `http://127.0.0.1:${port}`,
    audience: process.env.AUTH0_AUDIENCE ?? 'https://api.ticketing.local',
    clients: [
      {
        clientId: 'ticketing-portal',
        redirectUris: (process.env.TEST_REDIRECT_URIS ?? 'http://127.0.0.1:3000/auth/callback').split(','),
        postLogoutRedirectUris: ['http://127.0.0.1:3000/'],
      },
    ],
    directory: {
      list: async () => accounts,
      findBySub: async (sub) => accounts.find((a) => a.sub === sub),
    },
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
