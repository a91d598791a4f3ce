import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const EMAIL_OUTBOX_SWEEP_SCHEDULE = 'email-outbox-sweep';

/**
 * Makes sure the email outbox sweep runs every few minutes on this task queue. Every
 * worker calls it at start; the first creates the schedule and the rest find it there.
 * Overlapping passes are skipped: one pass at a time is plenty.
 */
export async function ensureEmailOutboxSweep(client: Client, taskQueue: string, everyMinutes = 5): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: EMAIL_OUTBOX_SWEEP_SCHEDULE,
      spec: { intervals: [{ every: `${everyMinutes} minutes` }] },
      action: { type: 'startWorkflow', workflowType: 'emailOutboxSweepWorkflow', taskQueue, args: [{}] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      memo: { purpose: 'Resends emails a ticket gave up on; see activities/email-outbox.ts' },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}

export const ATTACHMENT_RETENTION_SCHEDULE = 'attachment-retention';

/**
 * Keeps the attachment retention schedule in line with this process's configuration
 * (RETENTION_ATTACHMENT_DAYS, RETENTION_CRON): created when missing, updated when the days
 * or the cron changed, deleted when retention is turned off, so turning it off really stops it.
 * Every worker calls it at start; with one release's settings they all agree.
 */
export async function ensureAttachmentRetention(
  client: Client,
  taskQueue: string,
  settings: { attachmentDays?: number; cron: string },
): Promise<'created' | 'updated' | 'deleted' | 'off'> {
  const handle = client.schedule.getHandle(ATTACHMENT_RETENTION_SCHEDULE);
  if (settings.attachmentDays === undefined) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'attachmentRetentionWorkflow',
    taskQueue,
    args: [{ olderThanDays: settings.attachmentDays }],
  };
  const spec = { cronExpressions: [settings.cron] };
  try {
    await client.schedule.create({
      scheduleId: ATTACHMENT_RETENTION_SCHEDULE,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      memo: { purpose: 'Purges attachments of tickets finished long ago; see activities/retention.ts' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.update((previous) => ({ ...previous, spec, action }));
  return 'updated';
}
