import path from 'node:path';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startMailSink } from './sink';

/** The local Postmark stand-in as a process (`npm start` runs it when POSTMARK_API_URL is unset). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('mail', config.logLevel);
  const sink = await startMailSink({
    port: config.mail.sinkPort,
    host: config.mail.sinkHost,
    serverToken: config.mail.serverToken,
    file: path.join(config.dataDir, 'mailbox.jsonl'),
  });
  logger.info({ url: sink.url }, 'mail sink listening; the mailbox is at its root');
  const shutdown = () => void sink.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
