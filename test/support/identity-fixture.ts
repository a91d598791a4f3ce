import type { Account } from '../../lib/accounts';
import { startIdentityServer, type IdentityClient } from '../../identity/server';

/** What a test hands the fixture issuer, as JSON in IDENTITY_FIXTURE. */
export interface IdentityFixtureSetup {
  audience: string;
  clients: IdentityClient[];
  accounts: Account[];
}

/**
 * The real issuer on a free port with an in-memory directory the test chose, in a
 * process of its own (oidc-provider is ESM-only, which Jest's CommonJS runtime
 * cannot load). Prints `{"url": …}` on one line once it serves, then runs until
 * SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const setup = JSON.parse(process.env.IDENTITY_FIXTURE ?? '') as IdentityFixtureSetup;
  const server = await startIdentityServer({
    port: 0,
    issuer: 'http://127.0.0.1:0',
    audience: setup.audience,
    clients: setup.clients,
    directory: {
      list: async () => setup.accounts,
      findBySub: async (sub) => setup.accounts.find((a) => a.sub === sub),
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
