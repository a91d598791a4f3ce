import crypto from 'node:crypto';
import { Op } from 'sequelize';
import type { MailSink } from '../../mail/sink';
import { emailDeliveryWorkflowId } from '../../workflows/email-delivery';
import { startHarness, type Harness } from '../support/harness';
import { POSTMARK_OUTAGE_MS, POSTMARK_OUTAGE_RETRY, startPostmarkOutage, startTestMail } from '../support/mail';

/** What the issue asks of every action while Postmark is down. */
const ANSWER_WITHIN_MS = 2_000;

let h: Harness;
let sink: MailSink;


beforeAll(async () => {
  // The 5-minute outage at the scale POSTMARK_OUTAGE_MS sets, the delivery backoff scaled with it.
  const started = await startTestMail({ retry: POSTMARK_OUTAGE_RETRY });
  sink = started.sink;
  h = await startHarness({ activityDeps: { mail: started.mail } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await sink?.stop();
});

async function until<T>(what: string, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('email is never on a ticket critical path', () => {
  test(
    'when Postmark answers 500 while tickets are created and acted on, then every action answers within 2 s and every email goes out exactly once afterwards',
    async () => {
      const payroll = await h.categoryId('hr-payroll');
      const harper = await h.userId('harper');
      // Tokens and one ticket first: signing in and a cold worker are not what is under test.
      await Promise.all((['emma', 'harper', 'hannah'] as const).map((u) => h.token(u)));
      const warm = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title: 'Warm-up', description: 'x', categoryId: payroll } });
      expect(warm.status).toBe(201);
      const timings: Array<{ action: string; status: number; ms: number }> = [];
      const timed = async (action: string, call: () => Promise<{ status: number; body: any }>) => {
        const started = Date.now();
        const response = await call();
        timings.push({ action, status: response.status, ms: Date.now() - started });
        return response;
      };

      const { endsAt } = startPostmarkOutage(sink);
      const numbers: number[] = [];
      const titles = new Map<number, string>();
      for (let i = 0; i < 3; i++) {
        const title = `Outage ticket ${i} ${crypto.randomUUID().slice(0, 6)}`;
        const created = await timed('create', () =>
          h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: 'Payslip', categoryId: payroll } }),
        );
        const number = created.body.data.number as number;
        numbers.push(number);
        titles.set(number, title);
        await timed('reply', () => h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'Looking into it.' } }));
        await timed('assign', () => h.request('POST', `/tickets/${number}/actions/assign`, { as: 'hannah', body: { assigneeId: harper } }));
        await timed('start', () => h.request('POST', `/tickets/${number}/actions/start`, { as: 'harper', body: {} }));
      }
      expect(timings.filter((t) => t.status >= 300)).toEqual([]);
      expect(timings.filter((t) => t.ms > ANSWER_WITHIN_MS)).toEqual([]);

      // The deliveries did try during the outage (and were refused), and nothing got through.
      await until('a delivery attempt refused by the outage', endsAt, async () => (sink.refusedSends() > 0 ? true : undefined));
      expect(Date.now()).toBeLessThan(endsAt);
      const ours = (m: { metadata: Record<string, string> }) => numbers.includes(Number(m.metadata.ticket));
      expect(sink.messages().filter(ours)).toEqual([]);
      // Meanwhile the in-portal notifications are there.
      const inbox = await h.request('GET', '/notifications?limit=100', { as: 'emma' });
      for (const number of numbers) expect(inbox.body.data.some((n: { ticketNumber: number; kind: string }) => n.ticketNumber === number && n.kind === 'created')).toBe(true);

      // After the outage every recorded email is sent, each exactly once.
      // At most one capped backoff interval after Postmark is back, plus the work itself.
      const rows = await until('every email of the outage tickets to be sent', endsAt + POSTMARK_OUTAGE_RETRY.maximumIntervalMs + 60_000, async () => {
        const all = await h.db.models.EmailOutbox.findAll({ where: { ticket_number: { [Op.in]: numbers } } });
        return all.length > 0 && all.every((r) => r.get('status') === 'sent') ? all : undefined;
      });
      // Each ticket: receipt + two team notices, a public reply, an assignment, a status change.
      expect(rows.length).toBeGreaterThanOrEqual(numbers.length * 4);
      const delivered = sink.messages().filter(ours);
      expect(delivered).toHaveLength(rows.length);
      for (const row of rows) {
        const copies = delivered.filter((m) => m.metadata.notification === row.get('notification_id') && m.recipients.includes(row.get('to_address') as string));
        expect(copies.map((m) => m.id)).toEqual([row.get('message_id')]);
      }
      // The first email of each ticket names it.
      for (const number of numbers) {
        const receipt = delivered.find((m) => m.tag === 'created' && m.metadata.ticket === String(number));
        expect(receipt?.subject).toBe(`Received: #${number} ${titles.get(number)}`);
      }
      // Delivery ran off the ticket, as a workflow of its own for each change's notifications,
      // named by the first of them: for a created ticket, its receipt.
      const first = rows.map((r) => r.get('notification_id') as string).find((id) => id.endsWith(':receipt'))!;
      const delivery = h.env.client.workflow.getHandle(emailDeliveryWorkflowId(first));
      expect((await delivery.describe()).status.name).toBe('COMPLETED');
      // Its sends were ordinary activities, waiting in activity slots while Postmark was away,
      // not local ones holding one of the worker's few workflow-task slots.
      const scheduled = ((await delivery.fetchHistory()).events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
      expect(scheduled[0]).toBe('deliverNotificationEmails');

      // Later passes of anything send nothing more.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(sink.messages().filter(ours)).toHaveLength(rows.length);
    },
    POSTMARK_OUTAGE_MS + 120_000,
  );
});
