import { proxyActivities } from '@temporalio/workflow';
import type { createRetentionActivities } from '../activities/retention';

const { purgeExpiredAttachments } = proxyActivities<ReturnType<typeof createRetentionActivities>>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5, initialInterval: '10 seconds' },
});

export interface AttachmentRetentionInput {
  /** Attachments of tickets finished (closed, rejected, cancelled) longer ago than this are purged. */
  olderThanDays: number;
  /** ISO time to count from; the schedule leaves it out (the workflow's own clock), tests pass one. */
  now?: string;
  batchSize?: number;
  /** Bounds one pass; whatever is left waits for the next run of the schedule. */
  maxBatches?: number;
}

/**
 * One pass of the attachment retention policy, started by a Temporal Schedule. Bounded
 * batches keep every activity short and the history small; the days come in as an argument
 * (the schedule's), never from configuration read here, so the workflow stays deterministic.
 */
export async function attachmentRetentionWorkflow(input: AttachmentRetentionInput) {
  const now = input.now ?? new Date().toISOString();
  const batchSize = input.batchSize ?? 200;
  const maxBatches = input.maxBatches ?? 50;
  let purged = 0;
  let batches = 0;
  for (; batches < maxBatches; ) {
    const batch = await purgeExpiredAttachments({ now, olderThanDays: input.olderThanDays, limit: batchSize });
    batches++;
    purged += batch.purged;
    if (!batch.more) break;
  }
  return { purged, batches, now };
}
