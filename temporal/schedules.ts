import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

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
