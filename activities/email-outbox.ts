import { Op } from 'sequelize';
import { createMailer } from '../mail/sender';
import type { ActivityDeps } from './index';

export interface OutboxSweepInput {
  /** Only emails left pending at least this long: the ticket's own retries have had their turn. */
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
 * The safety net behind "no email is lost". A ticket's `notify` activity retries a few
 * times and then records its failure and moves on (a long Postmark outage must not wedge
 * the ticket); what it could not send stays `pending` in the outbox. The sweep sends those
 * again from the in-portal notification they belong to (same id, same template, same
 * Message-ID and approval-link key), through the same dedupe, so nothing goes twice.
 */
export function createOutboxActivities({ models, logger, mail }: ActivityDeps) {
  const mailer = mail ? createMailer({ models, logger, mail }) : undefined;
  return {
    async resendPendingEmails({ olderThanMinutes, limit }: OutboxSweepInput): Promise<OutboxSweepResult> {
      const result: OutboxSweepResult = { examined: 0, sent: 0, failed: 0, stillPending: 0 };
      if (!mailer) return result;
      const before = new Date(Date.now() - olderThanMinutes * 60_000);
      const rows = await models.EmailOutbox.findAll({
        // 'sending' this old is a claim whose attempt died mid-send.
        where: { status: { [Op.in]: ['pending', 'sending'] }, updated_at: { [Op.lte]: before } },
        order: [['updated_at', 'ASC']],
        limit,
      });
      // Each outbox row is one person's copy of an in-portal notification, keyed the same way.
      const notifications = new Map(
        (await models.Notification.findAll({ where: { id: rows.map((r) => `${r.get('notification_id') as string}:${r.get('user_id') as number}`) } })).map((n) => [n.get('id') as string, n]),
      );
      for (const row of rows) {
        result.examined += 1;
        const notificationId = row.get('notification_id') as string;
        const userId = row.get('user_id') as number;
        const notification = notifications.get(`${notificationId}:${userId}`);
        if (!notification) {
          // Nothing to rebuild the email from: say so once rather than retrying forever.
          await row.update({ status: 'failed', error: 'its in-portal notification is gone; cannot rebuild the email', updated_at: new Date() });
          result.failed += 1;
          continue;
        }
        try {
          const counts = await mailer.emailNotification(
            {
              id: notificationId,
              ticketNumber: notification.get('ticket_number') as number,
              kind: notification.get('kind') as string,
              title: notification.get('title') as string,
              body: notification.get('body') as string,
              recipients: {},
            },
            [userId],
          );
          result.sent += counts.sent;
          result.failed += counts.failed;
        } catch (err) {
          // Still unreachable: the row stays pending (its attempts counted) for the next sweep.
          result.stillPending += 1;
          logger.warn({ notification: notificationId, userId, err }, 'pending email still not sent');
        }
      }
      if (result.examined > 0) logger.info(result, 'email outbox swept');
      return result;
    },
  };
}
