import { ActivityFailure, ApplicationFailure, patched, proxyActivities, proxyLocalActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { createOutboxActivities } from '../activities/email-outbox';
import type { EmailRetry } from '../mail/sender';

export interface EmailDeliveryInput {
  /** The notification, or the first of a batch (which names the workflow). */
  notificationId: string;
  /** Every notification of one ticket change, sent by one delivery (`notifyAll`); absent for one alone. */
  notificationIds?: string[];
  ticketNumber: number;
  /** Chosen by the worker that started it (EMAIL_RETRY_*), so the workflow reads no configuration. */
  retry: EmailRetry;
}

/** One delivery per notification: the id makes a repeated start find the running one. */
export function emailDeliveryWorkflowId(notificationId: string): string {
  return `email-delivery-${notificationId}`;
}

/** After a day of failures the delivery stops; the rows stay unsent and the 5-minute sweep keeps at them. */
const DELIVERY_BUDGET = '1 day';
/** Deliveries started before this patch sent through an ordinary activity (a task round trip more per email); from it until SEND_AS_ACTIVITY_PATCH, through a local one. */
const LOCAL_SEND_PATCH = 'email-local-send';
/**
 * Deliveries started after this patch send through an ordinary activity again. A delivery now
 * runs only for emails Postmark did not take at once (`notifyAll` sends the rest itself), that
 * is when Postmark is slow or failing; a local activity held one of the worker's few
 * workflow-task slots for as long as Postmark took (up to 20 s a send), so a Postmark brownout
 * stalled every ticket on the worker. An activity waits in an activity slot instead.
 */
const SEND_AS_ACTIVITY_PATCH = 'email-send-activity';

/**
 * Sends one notification's emails through Postmark with its own retries, started by the
 * ticket's `notify` once the emails are recorded. The ticket never waits for it: a Postmark
 * outage only makes this workflow retry (its attempts and last error show in Temporal UI).
 */
export async function emailDeliveryWorkflow(input: EmailDeliveryInput) {
  const options: ActivityOptions = {
    startToCloseTimeout: '5 minutes',
    // A worker killed mid-delivery is noticed this soon (the activity heartbeats per email;
    // a send gives up after 20 s), not five minutes later: the chaos run found emails held
    // back for the whole start-to-close timeout after a kill -9.
    heartbeatTimeout: '30 seconds',
    scheduleToCloseTimeout: DELIVERY_BUDGET,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      maximumInterval: input.retry.maximumIntervalMs,
      backoffCoefficient: 2,
      nonRetryableErrorTypes: ['MissingTemplate'],
    },
  };
  // Runs between the two patches send through a local activity (inside the workflow's task, past
  // the threshold retrying on durable timers); a dead worker's local activity is noticed by the
  // workflow task's timeout instead of a heartbeat.
  const { heartbeatTimeout: _heartbeat, ...localOptions } = options;
  const { deliverNotificationEmails } =
    !patched(SEND_AS_ACTIVITY_PATCH) && patched(LOCAL_SEND_PATCH)
      ? proxyLocalActivities<ReturnType<typeof createOutboxActivities>>({ ...localOptions, localRetryThreshold: '10 seconds' })
      : proxyActivities<ReturnType<typeof createOutboxActivities>>(options);
  const ids = input.notificationIds ?? [input.notificationId];
  setCurrentDetails(`Sending the emails of ${ids.length === 1 ? 'notification' : 'notifications'} ${ids.map((id) => `\`${id}\``).join(', ')} (ticket #${input.ticketNumber})`);
  try {
    const counts = await deliverNotificationEmails(input.notificationIds ? { notificationId: input.notificationId, notificationIds: input.notificationIds } : { notificationId: input.notificationId });
    setCurrentDetails(`Done: ${counts.sent} sent, ${counts.failed} refused for good`);
    return counts;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    throw ApplicationFailure.nonRetryable(`Gave up after ${DELIVERY_BUDGET}: ${err.cause?.message ?? err.message}; the outbox sweep keeps trying`, 'DeliveryGaveUp');
  }
}
