import { QueryTypes } from 'sequelize';
import type { ActivityDeps } from '.';
import { writeTransactionOptions } from '../lib/db/deadlock';

/** Ticket states after which nothing more happens to a ticket: their attachments fall under retention. */
export const FINISHED_STATUSES = ['closed', 'rejected', 'cancelled'] as const;

/** Who the audit log names for a purge: no person, the policy. */
export const RETENTION_ACTOR = 'retention policy';

export interface PurgeBatchInput {
  /** ISO time the pass counts from (the workflow's clock; tests pass their own). */
  now: string;
  olderThanDays: number;
  limit: number;
}

export interface PurgeBatchResult {
  purged: number;
  /** Rows found but already purged by a concurrent or earlier attempt of this batch. */
  skipped: number;
  /** True when the batch was full, so another may find more. */
  more: boolean;
}

/**
 * Attachment retention. One activity purges one bounded batch; it is idempotent because every
 * step is: deleting a missing object is a no-op on disk and S3, and a row is marked purged (and
 * audited) only by the attempt whose conditional update changed it, so a retried batch neither
 * deletes anything twice nor writes a second audit entry.
 */
export function createRetentionActivities({ sequelize, models, logger, attachmentStorage }: ActivityDeps) {
  return {
    async purgeExpiredAttachments(input: PurgeBatchInput): Promise<PurgeBatchResult> {
      if (!attachmentStorage) throw new Error('retention needs the attachment storage: the worker was started without it');
      const now = new Date(input.now);
      const cutoff = new Date(now.getTime() - input.olderThanDays * 86_400_000);
      const rows = await sequelize.query<{ id: string }>(
        `SELECT a.id FROM attachments a JOIN tickets t ON t.number = a.ticket_number
          WHERE a.status <> 'purged' AND t.status IN (:finished) AND t.closed_at IS NOT NULL AND t.closed_at < :cutoff
          ORDER BY a.id LIMIT :limit`,
        { type: QueryTypes.SELECT, replacements: { finished: [...FINISHED_STATUSES], cutoff, limit: input.limit } },
      );
      let purged = 0;
      let skipped = 0;
      for (const { id } of rows) {
        const row = await models.Attachment.findByPk(id);
        if (!row || row.get('status') === 'purged') {
          skipped++;
          continue;
        }
        // Bytes first: if the worker dies between the two steps the row is still unpurged and the
        // next attempt deletes nothing (already gone) and marks it. The other order could leave bytes behind for ever.
        await attachmentStorage.delete(row.get('storage_key') as string);
        const before = {
          ticketNumber: row.get('ticket_number'),
          filename: row.get('filename'),
          contentType: row.get('content_type'),
          size: row.get('size'),
          sha256: row.get('sha256'),
          status: row.get('status'),
          uploadedBy: row.get('uploaded_by'),
          createdAt: row.get('created_at'),
        };
        const marked = await sequelize.transaction(writeTransactionOptions(sequelize), async (transaction) => {
          const [count] = await models.Attachment.update({ status: 'purged', purged_at: now }, { where: { id, status: before.status as string }, transaction });
          if (count === 0) return false;
          await models.AuditLog.create(
            {
              // The project's convention for machine actors: no user row, id 0, the label names it.
              actor_id: 0,
              actor_label: RETENTION_ACTOR,
              entity: 'attachment',
              entity_id: id,
              action: 'purged',
              before,
              after: { status: 'purged', purgedAt: now.toISOString(), olderThanDays: input.olderThanDays },
              at: now,
            },
            { transaction },
          );
          return true;
        });
        if (marked) purged++;
        else skipped++;
      }
      if (purged > 0) logger.info({ purged, skipped, olderThanDays: input.olderThanDays }, 'retention purged attachments');
      return { purged, skipped, more: rows.length === input.limit };
    },
  };
}
