import crypto from 'node:crypto';
import pino from 'pino';
import { ServerClient } from 'postmark';
import { createActivities } from '../../activities';
import type { MailDeps } from '../../mail/sender';
import type { MailSink } from '../../mail/sink';
import type { NotifyInput } from '../../workflows/definitions';
import type { Harness } from '../support/harness';
import { raiseWithEmailsSent, startMailHarness, stopMailHarness } from '../support/mail';
import type { DemoUserKey } from '../support/demo-accounts';

/**
 * Senders meeting faults: at Postmark (an answer that never arrives, a refusal for good, a lost
 * template) and in our database (a sent email it never recorded), and senders with more to send
 * than they should claim at once. Each email still goes out once, or is recorded as refused.
 */
let h: Harness, sink: MailSink, mail: MailDeps, postmark: ServerClient, payroll: number;
beforeAll(async () => void ({ h, sink, mail, postmark, payroll } = await startMailHarness()), 120_000);
afterAll(() => stopMailHarness({ h, sink }));

const emailOf = (user: DemoUserKey) => `${user}@example.com`;
const raise = (title = 'Overtime missing') => raiseWithEmailsSent(h, payroll, title);

describe('email senders meeting faults', () => {
  test('when a sender reached Postmark but died before recording it, then the sender taking over its lapsed claim finds the email at Postmark and does not send it again', async () => {
    const { number } = await raise('Sent but not recorded');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const emma = await h.userId('emma');
    const lapsedClaim = { status: 'sending', message_id: null, sent_at: null, updated_at: new Date(Date.now() - 3 * 60_000) };

    const sentOnce: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Sent once', recipients: { userIds: [emma] } };
    await activities.notify(sentOnce);
    // The database refuses the 'sent' write once, after Postmark accepted the email (as when it goes away mid-delivery).
    h.db.models.EmailOutbox.addHook('beforeBulkUpdate', 'lose-the-sent-write', (options) => {
      if ((options as unknown as { attributes?: { status?: string } }).attributes?.status !== 'sent') return;
      h.db.models.EmailOutbox.removeHook('beforeBulkUpdate', 'lose-the-sent-write');
      throw new Error('connection lost');
    });
    await expect(activities.deliverNotificationEmails({ notificationId: sentOnce.id })).rejects.toThrow('connection lost');
    const [first] = sink.messages().filter((m) => m.metadata.notification === sentOnce.id);
    expect(first).toBeDefined();
    // The claim is kept, not released to pending (which the next attempt would send again at once)…
    expect((await h.db.models.EmailOutbox.findByPk(`${sentOnce.id}:${emma}`))!.get('status')).toBe('sending');
    // …until it lapses.
    await h.db.models.EmailOutbox.update(lapsedClaim, { where: { id: `${sentOnce.id}:${emma}` } });
    expect(await activities.deliverNotificationEmails({ notificationId: sentOnce.id })).toEqual({ sent: 1, failed: 0, pending: 0 });
    expect(sink.messages().filter((m) => m.metadata.notification === sentOnce.id)).toHaveLength(1);
    const row = (await h.db.models.EmailOutbox.findByPk(`${sentOnce.id}:${emma}`))!;
    expect(row.get('status')).toBe('sent');
    expect(row.get('message_id')).toBe(first!.id);

    // A claim that lapsed before anything reached Postmark: the email is sent, once.
    const neverSent: NotifyInput = { ...sentOnce, id: `test-${crypto.randomUUID()}`, body: 'Never sent before' };
    await activities.notify(neverSent);
    await h.db.models.EmailOutbox.update(lapsedClaim, { where: { id: `${neverSent.id}:${emma}` } });
    expect(await activities.deliverNotificationEmails({ notificationId: neverSent.id })).toEqual({ sent: 1, failed: 0, pending: 0 });
    expect(sink.messages().filter((m) => m.metadata.notification === neverSent.id)).toHaveLength(1);
  });

  test('when Postmark takes an email but its answer never arrives, then the email is not sent again: the claim is kept and the next sender finds it at Postmark', async () => {
    const { number } = await raise('Answer lost');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const emma = await h.userId('emma');
    const input: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Answer lost', recipients: { userIds: [emma] } };
    const key = `${input.id}:${emma}`;
    await activities.notify(input);
    sink.dropAnswersAfterAccepting(1);
    await expect(activities.deliverNotificationEmails({ notificationId: input.id })).rejects.toThrow();
    expect(sink.messages().filter((m) => m.metadata.notification === input.id)).toHaveLength(1);
    // Not released to pending: a retry now would find the claim held, not send again.
    expect((await h.db.models.EmailOutbox.findByPk(key))!.get('status')).toBe('sending');
    await expect(activities.deliverNotificationEmails({ notificationId: input.id })).rejects.toThrow('being sent by another attempt');
    expect(sink.messages().filter((m) => m.metadata.notification === input.id)).toHaveLength(1);
    // Once the short claim lapses, the next sender asks Postmark, finds the email and records it.
    await h.db.models.EmailOutbox.update({ updated_at: new Date(Date.now() - 3 * 60_000) }, { where: { id: key } });
    expect(await activities.deliverNotificationEmails({ notificationId: input.id })).toEqual({ sent: 1, failed: 0, pending: 0 });
    expect(sink.messages().filter((m) => m.metadata.notification === input.id)).toHaveLength(1);
    expect((await h.db.models.EmailOutbox.findByPk(key))!.get('status')).toBe('sent');
  });

  test('when Postmark refuses a recipient for good, then it is recorded as failed and not retried', async () => {
    const { number } = await raise('Inactive');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const priya = await h.userId('priya');
    const input: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'mention', title: 'Mentioned', body: 'x', recipients: { userIds: [priya, await h.userId('emma')] } };
    await activities.notify(input);
    expect(await activities.deliverNotificationEmails({ notificationId: input.id })).toEqual({ sent: 1, failed: 1, pending: 0 });
    await activities.notify(input);
    expect(await activities.deliverNotificationEmails({ notificationId: input.id })).toEqual({ sent: 0, failed: 0, pending: 0 });
    const row = (await h.db.models.EmailOutbox.findByPk(`${input.id}:${priya}`))!;
    expect(row.get('status')).toBe('failed');
    expect(row.get('attempts')).toBe(1);
    expect(row.get('error')).toContain('inactive');
    expect(sink.messages().filter((m) => m.metadata.notification === input.id).map((m) => m.to)).toEqual([emailOf('emma')]);
  });

  test('when Postmark has lost a template and several emails of its kind go out together, then it is pushed once and each email goes once, recorded with its own Message ID', async () => {
    const { number } = await raise('Template lost');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    await postmark.deleteTemplate('mention');
    const people: DemoUserKey[] = ['emma', 'harper', 'hannah', 'ada', 'mark'];
    const input: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'mention', title: 'Mentioned', body: 'x', recipients: { userIds: await Promise.all(people.map((p) => h.userId(p))) } };
    await activities.notify(input);
    expect(await activities.deliverNotificationEmails({ notificationId: input.id })).toEqual({ sent: people.length, failed: 0, pending: 0 });
    const emails = sink.messages().filter((m) => m.metadata.notification === input.id);
    expect(emails.map((m) => m.to).sort()).toEqual(people.map(emailOf).sort());
    expect((await postmark.getTemplates({ count: 100, offset: 0 })).Templates.filter((t) => t.Alias === 'mention')).toHaveLength(1);
    const rows = await h.db.models.EmailOutbox.findAll({ where: { notification_id: input.id } });
    const sentAs = new Map(emails.map((m) => [m.metadata.email, m.id]));
    expect(rows.map((r) => [r.get('status'), r.get('message_id')])).toEqual(rows.map((r) => ['sent', sentAs.get(r.get('id') as string)]));
  });

  test("when one kind's template is lost at Postmark and cannot be pushed, then the other emails of the same call are sent and recorded, and only that kind's wait, released for the next try", async () => {
    const { number } = await raise('One template beyond repair');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const emma = await h.userId('emma');
    const lost: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'mention', title: 'Mentioned', body: 'x', recipients: { userIds: [emma] } };
    const fine: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'y', recipients: { userIds: [emma] } };
    await activities.notify(lost);
    await activities.notify(fine);
    // Gone from Postmark and from our own table: the push that would mend it fails.
    const template = (await h.db.models.NotificationTemplate.findByPk('mention'))!.get({ plain: true });
    await postmark.deleteTemplate('mention');
    await h.db.models.NotificationTemplate.destroy({ where: { alias: 'mention' } });
    try {
      await expect(activities.deliverNotificationEmails({ notificationId: lost.id, notificationIds: [lost.id, fine.id] })).rejects.toThrow('No email template');
      const [sentFine] = sink.messages().filter((m) => m.metadata.notification === fine.id);
      expect(sentFine).toBeDefined();
      // Recorded as Postmark took it, not held back with the email that failed.
      const fineRow = (await h.db.models.EmailOutbox.findByPk(`${fine.id}:${emma}`))!;
      expect([fineRow.get('status'), fineRow.get('message_id')]).toEqual(['sent', sentFine!.id]);
      expect(sink.messages().filter((m) => m.metadata.notification === lost.id)).toEqual([]);
      // It never reached Postmark: released for the next try, with no need to ask Postmark about it first.
      expect((await h.db.models.EmailOutbox.findByPk(`${lost.id}:${emma}`))!.get('status')).toBe('pending');
    } finally {
      await h.db.models.NotificationTemplate.create(template);
    }
  });

  test('when one sender has many emails to send, then it claims each only just before sending it: never more than five claimed and unsent at once', async () => {
    const { number } = await raise('Many recipients');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const people: DemoUserKey[] = ['emma', 'mark', 'carla', 'alex', 'sam', 'lee', 'dana', 'harper', 'hannah', 'frank', 'felix', 'fiona', 'ada'];
    const input: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: 'Update', body: 'x', recipients: { userIds: await Promise.all(people.map((p) => h.userId(p))) } };
    await activities.notify(input);
    // Slow answers keep every send (five emails a call) in flight long enough to see what is claimed
    // meanwhile. A claim taken long before its send would age towards its lapse while it waits, and be taken over.
    sink.answerSlowly(Math.ceil(people.length / 5), 250);
    const delivery = activities.deliverNotificationEmails({ notificationId: input.id });
    let settled = false;
    void delivery.finally(() => (settled = true)).catch(() => undefined);
    const claimedAtOnce: number[] = [];
    while (!settled) {
      claimedAtOnce.push(await h.db.models.EmailOutbox.count({ where: { notification_id: input.id, status: 'sending' } }));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    expect(await delivery).toEqual({ sent: people.length, failed: 0, pending: 0 });
    expect(Math.max(...claimedAtOnce)).toBeGreaterThan(0);
    expect(Math.max(...claimedAtOnce)).toBeLessThanOrEqual(5);
    expect(sink.messages().filter((m) => m.metadata.notification === input.id)).toHaveLength(people.length);
  }, 60_000);

  test('when a notification is for a ticket not yet in the read tables, then its email waits rather than going out without a title', async () => {
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const unprojected = 900_000 + Math.floor(Math.random() * 90_000);
    const input: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: unprojected, kind: 'created', title: 'Received', body: 'x', recipients: { userIds: [await h.userId('emma')] } };
    await activities.notify(input);
    await expect(activities.deliverNotificationEmails({ notificationId: input.id })).rejects.toMatchObject({ type: 'TicketNotProjected' });
    expect(sink.messages().filter((m) => m.metadata.notification === input.id)).toHaveLength(0);
    expect((await h.db.models.EmailOutbox.findByPk(`${input.id}:${await h.userId('emma')}`))!.get('status')).toBe('pending');
  });
});
