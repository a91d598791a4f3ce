import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  approveUpdate,
  awaitCreatedUpdate,
  calendarChangedSignal,
  delegateUpdate,
  editCustomFieldsUpdate,
  lifecycleUpdates,
  rejectUpdate,
  replyUpdate,
  requestInfoUpdate,
  stateQuery,
  ticketWorkflowId,
  type ActionRequest,
  type ApprovalRequest,
  type CustomFieldsRequest,
  type ReplyRequest,
  type TicketView,
  type TicketWorkflowInput,
} from './definitions';
import { routeTicket } from './domain/routing';
import type { LifecycleAction } from './domain/status-machine';
import { SYSTEM_ACTOR } from './domain/types';
import { answerApprovalInfo, applyApproval, approvalSummary, beginApproval, nextApprovalWake, onApprovalTimer, validateApproval, type ApprovalAction } from './ticket-approval';
import { ActionRefused, TicketEntity, type Effect } from './ticket-entity';
import { applyCustomFieldEdit, validateCustomFieldEdit } from './ticket-custom-fields';
import { completeEffect, escalate } from './ticket-escalation';
import { autoCloseAt, describeTicket, ticketSearchAttributes } from './ticket-presentation';
import { beginSla, collectSlaDue, nextSlaWake, slaOnCalendarChange, slaSummary } from './ticket-sla';

type Activities = ReturnType<typeof createActivities>;

// Our own database: retry until it is back rather than give up, since a ticket must never
// lose an event because MySQL was down a while.
const { projectTicket, chooseAssignee } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});
// Notifications and pages reach outside the ticket: bounded, so a dead webhook is recorded as
// a failed escalation instead of holding up the ticket's projection and timers.
const { notify, pageOnCall } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 8 },
});

/** Tickets started before this patch have no SLA clocks or approval chains; their histories replay unchanged. */
const SLA_AND_APPROVALS_PATCH = 'sla-and-approvals';
/** Tickets started before this patch notify only approvers and escalations. */
const EVENT_NOTIFICATIONS_PATCH = 'event-notifications';
/**
 * Tickets started before this patch have no SLA warning timer, notify nobody of a breach,
 * and notify nobody mentioned in an internal note.
 */
const SLA_NOTICES_PATCH = 'sla-notices';

/** One ticket, from submission to its terminal status: the single source of truth for its lifecycle. */
export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketView> {
  const carried = input.carried;
  const withSla = carried ? carried.sla !== undefined : patched(SLA_AND_APPROVALS_PATCH);
  const notifyOnEvents = carried ? carried.notifyOnEvents === true : patched(EVENT_NOTIFICATIONS_PATCH);
  const slaNotices = carried ? carried.slaNotices === true : patched(SLA_NOTICES_PATCH);
  const ticket = carried ? TicketEntity.resume(carried, input.config) : TicketEntity.open(input, new Date(), { sla: withSla, notifyOnEvents, slaNotices });
  const view = (): TicketView => ({
    ...ticket.state,
    workflowId: ticketWorkflowId(ticket.state.number),
    projectedVersion: ticket.projectedVersion,
    recentEvents: ticket.recentEvents(),
    slaSummary: slaSummary(ticket, new Date()),
    approvalSummary: approvalSummary(ticket),
    autoCloseAt: autoCloseAt(ticket)?.toISOString() ?? null,
  });
  const untilProjected = (version: number) => condition(() => ticket.projectedVersion >= version);
  /** Every handler answers only once the read tables show its change, so the portal never reads stale. */
  const answer = async () => {
    await untilProjected(ticket.version);
    return view();
  };

  setHandler(stateQuery, view);
  let opened = carried !== undefined;
  setHandler(awaitCreatedUpdate, async () => {
    await condition(() => opened);
    return answer();
  });
  for (const [action, update] of Object.entries(lifecycleUpdates) as [LifecycleAction, (typeof lifecycleUpdates)[LifecycleAction]][]) {
    setHandler(
      update,
      async (request: ActionRequest) => {
        asFailure(() => ticket.apply(action, request, new Date()));
        return answer();
      },
      { validator: (request: ActionRequest) => asFailure(() => ticket.validate(action, request)) },
    );
  }
  const approvalUpdates: Array<[ApprovalAction, typeof approveUpdate]> = [
    ['approve', approveUpdate],
    ['reject', rejectUpdate],
    ['request_info', requestInfoUpdate],
    ['delegate', delegateUpdate],
  ];
  for (const [action, update] of approvalUpdates) {
    setHandler(
      update,
      async (request: ApprovalRequest) => {
        asFailure(() => applyApproval(ticket, action, request, new Date()));
        return answer();
      },
      { validator: (request: ApprovalRequest) => asFailure(() => validateApproval(ticket, action, request, new Date())) },
    );
  }
  setHandler(
    replyUpdate,
    async (request: ReplyRequest) => {
      asFailure(() => ticket.validateReply(request.actor, request.body, request.visibility));
      const now = new Date();
      ticket.reply(request.actor, request.body, request.visibility, request.mentions ?? [], now);
      if (request.actor.userId === ticket.state.requesterId && request.visibility === 'public') answerApprovalInfo(ticket, now);
      return answer();
    },
    { validator: (request: ReplyRequest) => asFailure(() => ticket.validateReply(request.actor, request.body, request.visibility)) },
  );
  // A new handler: histories that never received this Update replay unchanged, so no patch is needed.
  setHandler(
    editCustomFieldsUpdate,
    async (request: CustomFieldsRequest) => {
      asFailure(() => applyCustomFieldEdit(ticket, request, new Date()));
      return answer();
    },
    { validator: (request: CustomFieldsRequest) => asFailure(() => validateCustomFieldEdit(ticket, request)) },
  );
  setHandler(calendarChangedSignal, ({ calendar, reason }) => {
    slaOnCalendarChange(ticket, calendar, reason, new Date());
  });

  const assignIfPending = async () => {
    const team = ticket.team();
    if (!ticket.assignmentPending || !['new', 'triaged'].includes(ticket.state.status)) return;
    if (!team || team.assignmentStrategy === 'queue' || team.memberIds.length === 0) {
      ticket.assignmentPending = false;
      return;
    }
    const assigneeId = await chooseAssignee({
      ticketNumber: ticket.state.number,
      requestKey: `${ticket.state.number}:${team.id}:${ticket.version}`,
      teamId: team.id,
      strategy: team.assignmentStrategy,
      candidateIds: team.memberIds,
    });
    // A transfer accepted while the activity ran makes its answer moot: the next loop asks the new team.
    if (ticket.state.teamId !== team.id) return;
    ticket.autoAssign(assigneeId, team.assignmentStrategy, new Date());
  };

  if (!carried) {
    const decision = routeTicket(
      { categoryId: input.draft.categoryId, title: input.draft.title, description: input.draft.description, requester: input.requester },
      input.config,
    );
    ticket.routeTo(decision, new Date());
    if (withSla) {
      beginApproval(ticket, new Date());
      beginSla(ticket, new Date());
    }
    await assignIfPending();
    opened = true;
  }

  const nextWake = (): number | null => {
    if (!withSla) return null;
    const times = [nextSlaWake(ticket), nextApprovalWake(ticket), autoCloseAt(ticket)?.getTime() ?? null].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  };
  // The server suggests continue-as-new as history grows; the configured limit lets operators (and tests) go earlier.
  const historyLimit = input.config.continueAsNewAfterEvents;
  // With Worker Deployment Versioning a ticket is pinned to the build that started it; once a new
  // build is current the server says so, and continuing as new moves the ticket onto it (the
  // carried state, not the old history, is all the new code has to understand).
  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().targetWorkerDeploymentVersionChanged ||
    (historyLimit !== undefined && workflowInfo().historyLength > historyLimit);
  const hasWork = () =>
    ticket.hasUnprojected() ||
    ticket.effects.length > 0 ||
    (ticket.assignmentPending && ['new', 'triaged'].includes(ticket.state.status)) ||
    ticket.isTerminal() ||
    shouldContinueAsNew();

  for (;;) {
    const wakeAt = nextWake();
    const due = wakeAt !== null && wakeAt <= Date.now();
    // A timer only while something is due later; the condition wakes on every change, which re-arms it.
    let woken = true;
    if (due) woken = false;
    else if (wakeAt === null) await condition(hasWork);
    else woken = await condition(hasWork, wakeAt - Date.now());
    if (!woken && wakeAt !== null) onTimer(ticket, new Date());
    await assignIfPending();
    while (ticket.effects.length > 0) await runEffect(ticket, ticket.effects[0]!);
    if (ticket.hasUnprojected()) {
      const batch = ticket.pendingProjection();
      await projectTicket({ ...batch, workflowId: workflowInfo().workflowId });
      ticket.markProjected(batch.ticket.version);
      upsertSearchAttributes(ticketSearchAttributes(ticket));
      setCurrentDetails(describeTicket(ticket, view()));
      continue;
    }
    if (!ticket.isTerminal() && !shouldContinueAsNew()) continue;
    // Waiting for handlers lets every accepted update finish (and be answered) first.
    await condition(() => allHandlersFinished() && !ticket.hasUnprojected() && ticket.effects.length === 0);
    if (ticket.hasUnprojected() || ticket.effects.length > 0) continue;
    if (ticket.isTerminal()) return view();
    // AUTO_UPGRADE: the next run starts on the deployment's current build instead of this run's pinned one.
    await makeContinueAsNewFunc<typeof ticketWorkflow>({ initialVersioningBehavior: 'AUTO_UPGRADE' })({ ...input, carried: { ...ticket.state } });
  }

  async function runEffect(entity: TicketEntity, effect: Effect): Promise<void> {
    let result: string;
    try {
      result =
        effect.kind === 'notify'
          ? notifiedText((await notify(effect.input)).delivered)
          : `paged on-call: ${(await pageOnCall(effect.input)).summary}`;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      result = `failed: ${err.cause?.message ?? err.message}`;
    }
    entity.effects.shift();
    completeEffect(entity, effect, result, new Date());
  }
}

function notifiedText(count: number): string {
  return `notified ${count} ${count === 1 ? 'person' : 'people'}`;
}

/** What a timer firing means: auto-close, approval reminders and escalation, SLA breaches and the ladder. */
function onTimer(ticket: TicketEntity, now: Date): void {
  const closeAt = autoCloseAt(ticket);
  if (closeAt && closeAt.getTime() <= now.getTime()) {
    ticket.apply('close', { actor: SYSTEM_ACTOR, input: { reason: 'auto-closed: no reply from the requester within the business days allowed' } }, now);
    return;
  }
  onApprovalTimer(ticket, now);
  for (const due of collectSlaDue(ticket, now)) escalate(ticket, due, now);
}

/** Converts a refusal into the ApplicationFailure the client sees as the update's failure. */
function asFailure(check: () => unknown): void {
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
