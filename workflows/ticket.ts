import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  awaitCreatedUpdate,
  lifecycleUpdates,
  stateQuery,
  ticketWorkflowId,
  type ActionRequest,
  type TicketView,
  type TicketWorkflowInput,
} from './definitions';
import { routeTicket } from './domain/routing';
import type { LifecycleAction } from './domain/status-machine';
import { ActionRefused, TicketEntity } from './ticket-entity';
import { describeTicket, ticketSearchAttributes } from './ticket-presentation';

type Activities = ReturnType<typeof createActivities>;

// Projection and assignment write to our own database: retry until it is back rather
// than give up, since a ticket must never lose an event because MySQL was down a while.
const { projectTicket, chooseAssignee } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/** One ticket, from submission to its terminal status: the single source of truth for its lifecycle. */
export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketView> {
  const isContinuation = input.carried !== undefined;
  const ticket = input.carried ? TicketEntity.resume(input.carried, input.config) : TicketEntity.open(input, new Date());
  const view = (): TicketView => ({
    ...ticket.state,
    workflowId: ticketWorkflowId(ticket.state.number),
    projectedVersion: ticket.projectedVersion,
    recentEvents: ticket.recentEvents(),
  });
  const untilProjected = (version: number) => condition(() => ticket.projectedVersion >= version);

  setHandler(stateQuery, view);
  let opened = isContinuation;
  setHandler(awaitCreatedUpdate, async () => {
    await condition(() => opened);
    await untilProjected(ticket.version);
    return view();
  });
  for (const [action, update] of Object.entries(lifecycleUpdates) as [LifecycleAction, (typeof lifecycleUpdates)[LifecycleAction]][]) {
    setHandler(
      update,
      async (request: ActionRequest) => {
        asFailure(() => ticket.apply(action, request, new Date()));
        // Answer only once the read tables show the change, so the portal never reads stale.
        await untilProjected(ticket.version);
        return view();
      },
      { validator: (request: ActionRequest) => asFailure(() => ticket.validate(action, request)) },
    );
  }

  if (!isContinuation) {
    const decision = routeTicket(
      { categoryId: input.draft.categoryId, title: input.draft.title, description: input.draft.description, requester: input.requester },
      input.config,
    );
    ticket.routeTo(decision, new Date());
    const team = input.config.teams.find((t) => t.id === decision.teamId);
    if (team && team.assignmentStrategy !== 'queue' && team.memberIds.length > 0) {
      const assigneeId = await chooseAssignee({
        ticketNumber: ticket.state.number,
        teamId: team.id,
        strategy: team.assignmentStrategy,
        candidateIds: team.memberIds,
      });
      if (assigneeId !== null && ticket.state.status === 'new') ticket.autoAssign(assigneeId, team.assignmentStrategy, new Date());
    }
    opened = true;
  }

  for (;;) {
    await condition(() => ticket.hasUnprojected() || ticket.isTerminal() || workflowInfo().continueAsNewSuggested);
    if (ticket.hasUnprojected()) {
      const batch = ticket.pendingProjection();
      await projectTicket({ ...batch, workflowId: workflowInfo().workflowId });
      ticket.markProjected(batch.ticket.version);
      upsertSearchAttributes(ticketSearchAttributes(ticket.state, input.config));
      setCurrentDetails(describeTicket(ticket.state, input.config));
      continue;
    }
    // Waiting for handlers lets every accepted update finish (and be answered) first.
    await condition(() => allHandlersFinished() && !ticket.hasUnprojected());
    if (ticket.hasUnprojected()) continue;
    if (ticket.isTerminal()) return view();
    await continueAsNew<typeof ticketWorkflow>({ ...input, carried: { ...ticket.state } });
  }
}

/** Converts a refusal into the ApplicationFailure the client sees as the update's failure. */
function asFailure(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof ActionRefused) {
      throw ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: true,
        details: err.field ? [{ field: err.field }] : [],
      });
    }
    throw err;
  }
}
