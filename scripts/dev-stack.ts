import { raiseDemoTickets } from './demo-tickets';
import { startStack } from './stack';

/** `npm start` after bootstrap: run everything, print where to go, stop everything on Ctrl-C. */
async function main(): Promise<void> {
  const say = (m: string) => process.stderr.write(`\x1b[36m[ticketing]\x1b[0m ${m}\n`);
  // `npm start` is the developer's machine: the demo issuer is what it asks for, unless a real
  // tenant is configured. Anything else (the API alone, compose, production) must say so itself.
  const env = process.env.AUTH0_DOMAIN || process.env.IDENTITY_MODE ? {} : { IDENTITY_MODE: 'local' };
  const stack = await startStack({ say, env });
  const lines = [
    '',
    '  Durable Ticketing is running',
    `  Portal       ${stack.webUrl}`,
    `  API          ${stack.apiUrl}   (OpenAPI and health under it)`,
    `  Temporal UI  ${stack.temporalUiUrl}`,
    `  Sign-in      ${stack.issuerUrl}   (pick a demo person)`,
    ...(stack.mailboxUrl ? [`  Mailbox      ${stack.mailboxUrl}   (every email sent, caught locally)`] : []),
    `  Data         ${stack.config.dataDir}`,
    '',
    '  Ctrl-C stops everything; tickets survive a restart.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  // A fresh data folder gets demo tickets (through the API, as the demo people), unless DEMO_TICKETS=0.
  if (stack.freshlySeeded && process.env.DEMO_TICKETS !== '0' && stack.config.identity.local) {
    say('raising demo tickets and walking them through their states (DEMO_TICKETS=0 skips this)…');
    const count = await raiseDemoTickets({ apiUrl: stack.apiUrl, issuerUrl: stack.issuerUrl, webUrl: stack.webUrl, say });
    say(`${count} demo tickets are ready`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
