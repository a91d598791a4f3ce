import { proxyActivities } from '@temporalio/workflow';
import type { createOutboxActivities } from '../activities/email-outbox';

const { resendPendingEmails } = proxyActivities<ReturnType<typeof createOutboxActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3 },
});

/** Emails a ticket's own retries gave up on are older than this before the sweep tries them. */
export const OUTBOX_SWEEP_AFTER_MINUTES = 15;

/**
 * One pass of the email outbox sweep, started by a Temporal Schedule: a short workflow
 * per run (rather than one that loops forever) keeps each history small and lets ops see
 * every pass, and its result, in Temporal UI.
 */
export async function emailOutboxSweepWorkflow(input: { olderThanMinutes?: number; limit?: number } = {}) {
  return resendPendingEmails({ olderThanMinutes: input.olderThanMinutes ?? OUTBOX_SWEEP_AFTER_MINUTES, limit: input.limit ?? 500 });
}
