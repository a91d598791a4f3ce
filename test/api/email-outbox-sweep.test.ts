import crypto from 'node:crypto';
import pino from 'pino';
import type { ScheduleHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import type { OutboxSweepResult } from '../../activities/email-outbox';
import type { MailDeps } from '../../mail/sender';
import type { MailSink } from '../../mail/sink';
import { EMAIL_OUTBOX_SWEEP_SCHEDULE, ensureEmailOutboxSweep } from '../../temporal/schedules';
import type { NotifyInput } from '../../workflows/definitions';
import type { emailOutboxSweepWorkflow } from '../../workflows/email-outbox-sweep';
import { startHarness, type Harness } from '../support/harness';
import { startTestMail, waitForMail } from '../support/mail';
import { waitUntil, within } from '../support/wait';

let h: Harness;
let sink: MailSink;
let mail: MailDeps;

beforeAll(async () => {
  ({ sink, mail } = await startTestMail());
  h = await startHarness({ activityDeps: { mail } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await sink?.stop();
});

async function raise() {
  const payroll = await h.categoryId('hr-payroll');
  const response = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title: 'Overtime missing', description: 'October', categoryId: payroll } });
  expect(response.status).toBe(201);
  return response.body.data.number as number;
}

/** Activities with no Temporal client: notify records, and nothing but the test (or the sweep) sends. */
const bareActivities = () => createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });

/** An email whose delivery gave up on it: Postmark was down for every retry, and the row is old enough to sweep. */
async function strandedEmail(number: number): Promise<{ input: NotifyInput; key: string }> {
  const emma = await h.userId('emma');
  const input: NotifyInput = { id: `ticket-${number}:stranded-${crypto.randomUUID().slice(0, 8)}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Your ticket: work has started.', recipients: { userIds: [emma] } };
  const activities = bareActivities();
  await activities.notify(input);
  sink.failNextSends(1, 503, input.id);
  await expect(activities.deliverNotificationEmails({ notificationId: input.id })).rejects.toMatchObject({ statusCode: 503 });
  const key = `${input.id}:${emma}`;
  await h.db.models.EmailOutbox.update({ updated_at: new Date(Date.now() - 20 * 60_000) }, { where: { id: key } });
  return { input, key };
}

/** Triggers one pass of the schedule and returns that pass's own result once its workflow has finished. */
async function triggeredPass(schedule: ScheduleHandle): Promise<OutboxSweepResult> {
  const before = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  const taken = await waitUntil('the schedule to start the triggered pass', async () => (await schedule.describe()).info.recentActions, (actions) => actions.length > before, { timeoutMs: 20_000 });
  const { workflowId, firstExecutionRunId } = taken[taken.length - 1]!.action.workflow;
  return within(`the triggered sweep pass ${workflowId} to finish`, h.env.client.workflow.getHandle<typeof emailOutboxSweepWorkflow>(workflowId, firstExecutionRunId).result(), 30_000);
}

describe('the email outbox sweep', () => {
  test('when the schedule is ensured twice, then one schedule exists and runs the sweep workflow on the ticket task queue', async () => {
    expect(await ensureEmailOutboxSweep(h.env.client, h.taskQueue)).toBe('created');
    expect(await ensureEmailOutboxSweep(h.env.client, h.taskQueue)).toBe('exists');
    const description = await h.env.client.schedule.getHandle(EMAIL_OUTBOX_SWEEP_SCHEDULE).describe();
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'emailOutboxSweepWorkflow', taskQueue: h.taskQueue });
    // From here the tests trigger passes themselves; a pass on the clock would race them.
    await h.env.client.schedule.getHandle(EMAIL_OUTBOX_SWEEP_SCHEDULE).pause('tests trigger passes by hand');
  });

  test('when a pending email is old enough, then a scheduled pass sends it once, and later passes send nothing more', async () => {
    const number = await raise();
    const { input, key } = await strandedEmail(number);
    expect((await h.db.models.EmailOutbox.findByPk(key))?.get('status')).toBe('pending');

    const schedule = h.env.client.schedule.getHandle(EMAIL_OUTBOX_SWEEP_SCHEDULE);
    const first = await triggeredPass(schedule);
    expect(first).toMatchObject({ sent: 1 });
    const sent = await waitForMail(sink, (m) => m.metadata.notification === input.id, 'the stranded email');
    expect(sent.to).toContain('emma@example.com');
    expect((await h.db.models.EmailOutbox.findByPk(key))?.get('status')).toBe('sent');

    // The next pass runs to its end before the mailbox is counted again.
    const second = await triggeredPass(schedule);
    expect(second).toMatchObject({ sent: 0, failed: 0 });
    expect(sink.messages().filter((m) => m.metadata.notification === input.id)).toHaveLength(1);
  });

  test('when Postmark is still down, then the row stays pending with its attempts counted; a fresh pending row is left to its delivery', async () => {
    const number = await raise();
    const { input, key } = await strandedEmail(number);
    const activities = bareActivities();
    sink.failNextSends(1, 503, input.id);
    expect(await activities.resendPendingEmails({ olderThanMinutes: 15, limit: 10 })).toMatchObject({ stillPending: 1, sent: 0 });
    const row = await h.db.models.EmailOutbox.findByPk(key);
    expect(row?.get('status')).toBe('pending');
    expect(row?.get('attempts')).toBe(2);
    // Just touched by that attempt: too fresh for the next pass.
    expect(await activities.resendPendingEmails({ olderThanMinutes: 15, limit: 10 })).toMatchObject({ examined: 0 });
  });

  test('when three delivery attempts of one notification run at once (a timed-out attempt beside its retries), then each email goes once', async () => {
    const number = await raise();
    const people = await Promise.all((['emma', 'harper', 'hannah'] as const).map((p) => h.userId(p)));
    const input: NotifyInput = { id: `ticket-${number}:race-${crypto.randomUUID().slice(0, 8)}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Race check', recipients: { userIds: people } };
    await bareActivities().notify(input);
    const attempt = () => bareActivities().deliverNotificationEmails({ notificationId: input.id });
    // An attempt that finds a row claimed by another says so (for Temporal to retry it); none sends it again.
    const outcomes = await Promise.allSettled([attempt(), attempt(), attempt()]);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ type: 'ClaimedElsewhere' });
    const sent = sink.messages().filter((m) => m.metadata.notification === input.id);
    expect(sent.map((m) => m.to).sort()).toEqual(['emma@example.com', 'hannah@example.com', 'harper@example.com']);
    const rows = await h.db.models.EmailOutbox.findAll({ where: { notification_id: input.id } });
    expect(rows.map((r) => r.get('status'))).toEqual(['sent', 'sent', 'sent']);
  });

  test('when the notification behind a pending email is gone, then the row is marked failed rather than retried forever', async () => {
    const number = await raise();
    const { input, key } = await strandedEmail(number);
    await h.db.models.Notification.destroy({ where: { id: `${input.id}:${await h.userId('emma')}` } });
    const activities = bareActivities();
    expect(await activities.resendPendingEmails({ olderThanMinutes: 15, limit: 10 })).toMatchObject({ failed: 1 });
    expect((await h.db.models.EmailOutbox.findByPk(key))?.get('status')).toBe('failed');
  });
});
