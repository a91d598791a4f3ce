import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { createPersonDeactivationActivities, DeactivatedPerson } from '../activities/person-deactivation';

/** One hand-over per deactivation: a person's version moves with every change, so a repeated start finds the first. */
export function personDeactivationWorkflowId(personId: number, version: number): string {
  return `person-deactivated-${personId}-v${version}`;
}

/**
 * What a person's deactivation does to running tickets: their waiting approval steps move on,
 * then the leads of their teams hear about their open tickets and any step nobody could take.
 * Started by the directory change (SCIM, the people admin, an import) instead of run inside
 * that request, so a Temporal or database fault delays the hand-over rather than losing it:
 * each activity is retried until it succeeds, and the outcome shows in Temporal UI.
 */
export async function personDeactivationWorkflow(input: DeactivatedPerson): Promise<{ handedOn: number; left: number[]; leadsTold: number }> {
  const { handOnApprovalsOfDeactivated, reportDeactivatedPersonsTickets } = proxyActivities<ReturnType<typeof createPersonDeactivationActivities>>({
    startToCloseTimeout: '2 minutes',
    // Our own database and Temporal: keep trying until they answer; both steps are idempotent.
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  });
  setCurrentDetails(`Handing on the approval steps of ${input.person.name} (deactivated by ${input.by})`);
  const { handedOn, left } = await handOnApprovalsOfDeactivated(input);
  const { told } = await reportDeactivatedPersonsTickets({ ...input, approvalsLeft: left });
  setCurrentDetails(
    `Done: ${handedOn} approval step(s) of ${input.person.name} handed on` +
      (left.length ? `, nobody could take ${left.map((n) => `#${n}`).join(', ')}` : '') +
      `; ${told} lead(s) told`,
  );
  return { handedOn, left, leadsTold: told };
}
