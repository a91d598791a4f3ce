import { ActivityFailure, ApplicationFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { createNotificationActivities } from '../activities/notifications';
import type { PageOnCallInput } from './definitions';

/** One delivery per page: the id makes a repeated start (a retried pageOnCall) find the first one. */
export function oncallPageWorkflowId(pageId: string): string {
  return `oncall-page-${pageId}`;
}

/**
 * Posts one recorded page to the on-call webhook with bounded retries, started by the ticket's
 * `pageOnCall` once the page is recorded and the team's leads are told. Why a workflow of its own
 * and not the ticket's activity: the ticket runs its effects one after another, so a dead webhook
 * retried inside it held every change to the ticket for as long as the retries lasted (the chaos
 * run's webhook-down scenario: changes answered 503). The outcome shows here, in Temporal UI.
 */
export async function oncallPageWorkflow(input: PageOnCallInput): Promise<{ status: number }> {
  const { postPageToWebhook } = proxyActivities<ReturnType<typeof createNotificationActivities>>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '10 minutes',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 8 },
  });
  setCurrentDetails(`Paging on-call for ticket #${input.ticketNumber}: ${input.message}`);
  try {
    const delivered = await postPageToWebhook(input);
    setCurrentDetails(`Delivered: the on-call webhook answered ${delivered.status}`);
    return delivered;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    throw ApplicationFailure.nonRetryable(`The on-call webhook never took the page: ${err.cause?.message ?? err.message}`, 'PageNotDelivered');
  }
}
