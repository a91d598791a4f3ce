import crypto from 'node:crypto';
import { ServerClient } from 'postmark';
import { createSigner } from '../../lib/signing';
import { DEFAULT_EMAIL_RETRY, type EmailRetry, type MailDeps } from '../../mail/sender';
import { startMailSink, type MailSink } from '../../mail/sink';
import type { SinkMessage } from '../../mail/mailbox-pages';
import { startHarness, type Harness } from './harness';
import { waitUntil } from './wait';

export const SINK_TOKEN = 'test-sink-token';
export const SUPPORT_ADDRESS = 'support@ticketing.local';
export const WEB_URL = 'http://portal.test';
/** The API signs with APP_SECRET; the test mail deps sign with the same, as a real deployment does. */
export const APP_SECRET = 'test-signing-secret-'.repeat(3);

/** Delivery retries in tests: an outage's end is noticed within seconds, without the retries loading a shared machine. */
export const TEST_EMAIL_RETRY: EmailRetry = { initialIntervalMs: 1_000, maximumIntervalMs: 4_000 };

/**
 * How long a simulated Postmark outage lasts. The issue's scenario is 5 minutes
 * (TEST_POSTMARK_OUTAGE_MS=300000 runs it so); by default it runs at 1/20 of that, 15 s,
 * which keeps CI fast and tests the same thing when the delivery backoff is scaled alike
 * (POSTMARK_OUTAGE_RETRY).
 */
export const POSTMARK_OUTAGE_MS = Number(process.env.TEST_POSTMARK_OUTAGE_MS ?? 15_000);

/** The issue's outage: Postmark refusing every send for 5 minutes. */
const ISSUE_OUTAGE_MS = 5 * 60_000;

/**
 * The production delivery backoff (DEFAULT_EMAIL_RETRY, 5 s doubling to 300 s) shrunk by the
 * same factor as the outage, so a delivery sees the outage as it would in production: the same
 * number of refused attempts, its interval reaching the cap, and a first success up to one
 * capped interval after Postmark is back. What only the outage's absolute length could break
 * is set far beyond 5 minutes and not scaled: the delivery's one-day budget with no attempt
 * limit, and the sweep, which takes emails unsent for 15 minutes (a refused send releases
 * its claim at once, so the 2-minute claim lapse never comes into it).
 * At TEST_POSTMARK_OUTAGE_MS=300000 this is exactly the production backoff.
 */
export const POSTMARK_OUTAGE_RETRY: EmailRetry = {
  initialIntervalMs: Math.round(DEFAULT_EMAIL_RETRY.initialIntervalMs * (POSTMARK_OUTAGE_MS / ISSUE_OUTAGE_MS)),
  maximumIntervalMs: Math.round(DEFAULT_EMAIL_RETRY.maximumIntervalMs * (POSTMARK_OUTAGE_MS / ISSUE_OUTAGE_MS)),
};

/** Postmark goes down: every send answers `status` for `durationMs`. */
export function startPostmarkOutage(sink: MailSink, durationMs = POSTMARK_OUTAGE_MS, status = 500): { endsAt: number } {
  sink.failSendsFor(durationMs, status);
  return { endsAt: Date.now() + durationMs };
}

/** The local sink and real mail deps pointed at it; `apiUrl` is filled in once the API listens. */
export async function startTestMail(options: { inactiveRecipients?: string[]; retry?: EmailRetry } = {}): Promise<{ sink: MailSink; mail: MailDeps; postmark: ServerClient }> {
  const sink = await startMailSink({ serverToken: SINK_TOKEN, inactiveRecipients: options.inactiveRecipients });
  const postmark = new ServerClient(SINK_TOKEN, { useHttps: false, requestHost: new URL(sink.url).host, timeout: 10 });
  const mail: MailDeps = {
    postmark,
    from: `Service Desk <${SUPPORT_ADDRESS}>`,
    supportAddress: SUPPORT_ADDRESS,
    webUrl: WEB_URL,
    apiUrl: 'http://127.0.0.1:9',
    signer: createSigner(APP_SECRET),
    retry: options.retry ?? TEST_EMAIL_RETRY,
  };
  return { sink, mail, postmark };
}

/** Waits for mail the workflow sends after the API has answered (activities run after the Update returns). */
export async function waitForMail(sink: MailSink, predicate: (m: SinkMessage) => boolean, what: string, timeoutMs = 20_000): Promise<SinkMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sink.messages().find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no email ${what} within ${timeoutMs} ms; mailbox: ${JSON.stringify(sink.messages().map((m) => [m.to, m.tag, m.subject]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A new ticket of emma's in `categoryId`, once its own emails (receipt, team notices) are all
 * sent: they go out beside the test, and a fault the test then injects into the sink or the
 * database must meet the test's email, not one of these.
 */
export async function raiseWithEmailsSent(h: Harness, categoryId: number, title: string): Promise<{ number: number; version: number }> {
  const response = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: 'October payslip', categoryId } });
  expect(response.status).toBe(201);
  const ticket = response.body.data as { number: number; version: number };
  await waitUntil(
    `the emails of new ticket #${ticket.number} to be recorded and sent`,
    async () => (await h.db.models.EmailOutbox.findAll({ where: { ticket_number: ticket.number }, attributes: ['status'] })).map((r) => r.get('status')),
    (statuses) => statuses.length > 0 && statuses.every((status) => status === 'sent' || status === 'failed'),
  );
  return ticket;
}

/**
 * A harness whose worker and API email through the sink (priya's address is one Postmark
 * refuses for good), with the payroll category the email tests raise their tickets in.
 */
export async function startMailHarness(): Promise<{ h: Harness; sink: MailSink; mail: MailDeps; postmark: ServerClient; payroll: number }> {
  const { sink, mail, postmark } = await startTestMail({ inactiveRecipients: ['priya@example.com'] });
  const h = await startHarness({ activityDeps: { mail }, config: { appSecret: APP_SECRET }, appDeps: { mail: { postmark, webUrl: WEB_URL } } });
  return { h, sink, mail, postmark, payroll: await h.categoryId('hr-payroll') };
}

export async function stopMailHarness({ h, sink }: { h?: Harness; sink?: MailSink }): Promise<void> {
  await h?.stop();
  await sink?.stop();
}
