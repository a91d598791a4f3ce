import { asyncLocalStorage } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Op } from 'sequelize';
import type { Logger } from 'pino';
import { createOutbox, UNSENT, type DeliveryCounts } from '../mail/outbox';
import { DEFAULT_EMAIL_RETRY, type MailDeps } from '../mail/sender';
import { emailDeliveryWorkflowId, type emailDeliveryWorkflow } from '../workflows/email-delivery';
import type { ActivityDeps } from './index';

export interface OutboxSweepInput {
  /** Only emails left unsent at least this long: their delivery workflow has had its turn. */
  olderThanMinutes: number;
  limit: number;
}

export interface OutboxSweepResult {
  examined: number;
  sent: number;
  failed: number;
  stillPending: number;
}

/**
 * Starts the delivery workflow of one notification's emails, off the ticket.
 *
 * Why a workflow per notification, started here, rather than a worker-side loop over
 * pending rows: Temporal then owns the retries (durable backoff that survives worker
 * restarts, no polling, no lease bookkeeping of our own beyond the per-row claim), each
 * delivery is visible in Temporal UI with its attempts and last error, and the id
 * (`email-delivery-<notification>`) makes the start idempotent: a retried `notify` finds
 * the running delivery instead of starting another. A delivery that ends (sent, or gave up
 * after a day) may be started again by a later retry; it then finds nothing unsent.
 */
export function createDeliveryStarter({ temporal, mail, logger }: { temporal?: { client: Client; taskQueue: string }; mail?: MailDeps; logger: Logger }) {
  return async function startDelivery(notificationIds: string[], ticketNumber: number, kinds: string[]): Promise<boolean> {
    const [first] = notificationIds;
    if (first === undefined) return false;
    if (!temporal) {
      // Workers always pass a client; without one (a bare createActivities) the sweep sends it.
      logger.warn({ notifications: notificationIds }, 'no Temporal client to start email delivery; the outbox sweep will send it');
      return false;
    }
    // One notification keeps the input every delivery had before batches, so a worker of that
    // build could still run it; a batch names all of its notifications.
    const what = notificationIds.length === 1 ? { notificationId: first } : { notificationId: first, notificationIds };
    await temporal.client.workflow.start<typeof emailDeliveryWorkflow>('emailDeliveryWorkflow', {
      workflowId: emailDeliveryWorkflowId(first),
      taskQueue: temporal.taskQueue,
      args: [{ ...what, ticketNumber, retry: mail?.retry ?? DEFAULT_EMAIL_RETRY }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Email ${kinds.map((k) => `"${k}"`).join(', ')} for ticket #${ticketNumber}`,
    });
    return true;
  };
}

/**
 * Email delivery, off every ticket's critical path: the delivery workflow's activity and
 * the safety-net sweep behind "no email is lost" (a delivery that gave up, a start that
 * never happened, rows left by older workers). Both send through the same outbox claims,
 * so nothing goes twice.
 */
export function createOutboxActivities({ models, logger, mail }: ActivityDeps) {
  const outbox = mail ? createOutbox({ models, logger, mail }) : undefined;
  return {
    /** Sends a notification's unsent emails; throws while any failed transiently, for Temporal to retry with backoff. */
    async deliverNotificationEmails({ notificationId, notificationIds }: { notificationId: string; notificationIds?: string[] }): Promise<DeliveryCounts> {
      if (!outbox) return { sent: 0, failed: 0, pending: 0 };
      // Heartbeats let Temporal notice a worker that died mid-delivery within the heartbeat
      // timeout and retry elsewhere, instead of after the whole start-to-close timeout. Called
      // directly (a bare createActivities, as the sweep's tests do) there is no activity to beat for.
      // A local activity (email-local-send) has no heartbeat: its workflow task's timeout notices a dead worker.
      const beat = () => {
        const context = asyncLocalStorage.getStore();
        if (context && !context.info.isLocal) context.heartbeat();
      };
      beat();
      const ids = notificationIds ?? [notificationId];
      const { transient, ...counts } = await outbox.deliver(await outbox.unsentOf(ids), beat);
      if (transient) throw transient;
      if (counts.sent + counts.failed > 0) logger.info({ notifications: ids, ...counts }, 'notification emailed');
      return counts;
    },

    async resendPendingEmails({ olderThanMinutes, limit }: OutboxSweepInput): Promise<OutboxSweepResult> {
      if (!outbox) return { examined: 0, sent: 0, failed: 0, stillPending: 0 };
      const before = new Date(Date.now() - olderThanMinutes * 60_000);
      const rows = await models.EmailOutbox.findAll({
        // 'sending' this old is a claim whose attempt died mid-send.
        where: { status: { [Op.in]: UNSENT }, updated_at: { [Op.lte]: before } },
        order: [['updated_at', 'ASC']],
        limit,
      });
      const { transient, ...counts } = await outbox.deliver(rows);
      const result = { examined: rows.length, sent: counts.sent, failed: counts.failed, stillPending: counts.pending };
      // Still unreachable: those rows stay pending (their attempts counted) for the next pass.
      if (transient) logger.warn({ err: transient, stillPending: counts.pending }, 'pending emails still not sent');
      if (result.examined > 0) logger.info(result, 'email outbox swept');
      return result;
    },
  };
}
