import { createEmailRelay } from '../mail/relay';
import type { NotifyInput, ProjectionBatch } from '../workflows/definitions';
import type { ActivityDeps } from './index';
import { createNotificationRecorder } from './notifications';
import { createProjectionActivities } from './projection';

/** How long the notifications may take to record before the ticket is told to run them as notifyAll (well inside the local activity's 30 s). */
export const RECORD_BUDGET_MS = 5_000;

export interface ProjectAndNotifyInput extends ProjectionBatch {
  /** The notifications the batch's events call for, recorded once the batch is projected. */
  notifications: NotifyInput[];
}

export interface ProjectAndNotifyResult {
  applied: boolean;
  /** How many people each notification is for, in order; null when they could not be recorded (the ticket hands them to `notifyAll`). */
  notified: number[] | null;
}

/**
 * A change's projection and the notifications it calls for, in the one local activity of the
 * ticket's workflow task (since the `notify-with-projection` patch). Before, the notifications
 * were a `notifyAll` activity of their own: one more activity task and one more workflow task
 * to take its outcome, for every change that notified anybody.
 *
 * The notifications are recorded only after the projection committed (the read row the
 * ticket's emails are about exists), in their own statements: they are keyed by the workflow's
 * stable ids, so a retry of this activity records nothing twice. Their emails are handed to the relay and never
 * awaited here. A failure to record them, or a recording slower than RECORD_BUDGET_MS, does not
 * fail the projection: the ticket is answered, and it runs the same notifications through
 * `notifyAll`, retried until the database answers.
 */
export function createProjectAndNotifyActivities(deps: ActivityDeps) {
  const { projectTicket } = createProjectionActivities(deps);
  const { recordAll, sendOrHandOver } = createNotificationRecorder(deps);
  const relay = deps.emailRelay ?? createEmailRelay(deps.logger);
  return {
    async projectAndNotify({ notifications, ...batch }: ProjectAndNotifyInput): Promise<ProjectAndNotifyResult> {
      const { applied } = await projectTicket(batch);
      if (notifications.length === 0) return { applied, notified: [] };
      let recorded: Awaited<ReturnType<typeof recordAll>>;
      let timer: NodeJS.Timeout | undefined;
      try {
        // Bounded: a lock wait or a full pool must not keep the projection from the ticket (its
        // updates wait on it). A recording still running past the bound may finish later; the
        // notifyAll that takes over finds its rows and records nothing twice.
        const outOfTime = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`notifications not recorded within ${RECORD_BUDGET_MS} ms`)), RECORD_BUDGET_MS)));
        recorded = await Promise.race([recordAll(notifications, { countUnsent: false }), outOfTime]);
      } catch (err) {
        deps.logger.warn({ err, ticket: batch.ticket.number, notifications: notifications.map((n) => n.id) }, 'notifications not recorded with the projection; the ticket runs them as notifyAll');
        return { applied, notified: null };
      } finally {
        clearTimeout(timer);
      }
      // The same sends notifyAll awaits, handed to the relay instead, with the emails as just
      // recorded and the title just projected: nothing read back. On a retry, those already
      // sent are not claimed again.
      const { ticket } = batch;
      const emails = recorded.emails.map((email) => ({ ...email, ticketTitle: ticket.title }));
      if (emails.length > 0) relay.hand(notifications.map((n) => n.id), () => sendOrHandOver(notifications, emails));
      return { applied, notified: recorded.notified.map((r) => r.delivered) };
    },
  };
}
