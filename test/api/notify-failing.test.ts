import crypto from 'node:crypto';
import { ticketWorkflowId } from '../../workflows/definitions';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

/**
 * `notify` only writes our own tables, so it is retried without limit: a notification is never
 * lost, however long its writes fail. Here every attempt fails (the notifications table is taken
 * away) until the table is back; the change that raised it is answered and projected meanwhile,
 * and once the writes succeed each notification is recorded exactly once.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const rename = (from: string, to: string) => h.db.sequelize.query(`ALTER TABLE ${from} RENAME TO ${to}`);

describe('a notify that fails every attempt', () => {
  test('when the notification writes fail attempt after attempt, then the ticket is answered and projected, a later reply is answered meanwhile, the notify is retried, and once writes succeed each notification is recorded once', async () => {
    const categoryId = await h.categoryId('hr-payroll');
    await h.token('emma');
    await rename('notifications', 'notifications_away');
    let restored = false;
    try {
      const created = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title: 'Payslip missing', description: 'November', categoryId } });
      expect(created.status).toBe(201);
      const { number } = created.body.data as { number: number };
      // The create was projected before any effect ran: the read row is there.
      expect((await h.db.models.Ticket.findByPk(number))!.get('status')).toBe('new');

      const handle = h.env.client.workflow.getHandle(ticketWorkflowId(number));
      const failing = await waitUntil(
        'the notify activity to have failed three attempts on the missing table',
        async () => ((await handle.describe()).raw.pendingActivities ?? []).find((a) => ['notify', 'notifyAll'].includes(a.activityType?.name ?? '')),
        (a) => (a?.attempt ?? 0) >= 3,
        { timeoutMs: 45_000, intervalMs: 250 },
      );
      expect(failing!.lastFailure?.message).toMatch(/notifications/);
      expect(await h.db.models.EmailOutbox.count({ where: { ticket_number: number } })).toBe(0);

      // The failing notify runs beside the ticket: a later change is answered and projected meanwhile.
      const asked = Date.now();
      const reply = await h.request('POST', `/tickets/${number}/messages`, { as: 'emma', body: { body: 'It is still missing' } });
      expect(reply.status).toBe(201);
      expect(Date.now() - asked).toBeLessThan(15_000);
      const row = (await h.db.models.Ticket.findByPk(number))!;
      expect(row.get('seq') as number).toBeGreaterThanOrEqual(reply.body.data.version);
      expect(((await handle.describe()).raw.pendingActivities ?? []).some((a) => ['notify', 'notifyAll'].includes(a.activityType?.name ?? ''))).toBe(true);

      await rename('notifications_away', 'notifications');
      restored = true;
      const recorded = await waitUntil(
        "the ticket's notifications to be recorded once the table is back",
        () => h.db.models.Notification.findAll({ where: { ticket_number: number } }),
        (rows) => rows.some((r) => r.get('kind') === 'created'),
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      const ids = recorded.map((r) => r.get('id') as string);
      expect(new Set(ids).size).toBe(ids.length);
      // Recorded once even though the same notify ran many times: its ids are stable.
      await waitUntil('the notify to finish', async () => ((await handle.describe()).raw.pendingActivities ?? []).length, (n) => n === 0, { timeoutMs: 30_000 });
      expect(await h.db.models.Notification.count({ where: { ticket_number: number } })).toBe(ids.length);
    } finally {
      if (!restored) await rename('notifications_away', 'notifications');
    }
  }, 180_000);
});
