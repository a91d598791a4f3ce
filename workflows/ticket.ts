import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  currentUpdateInfo,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
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
  slaExplanationQuery,
  slaPolicyPublishedSignal,
  stateQuery,
  teamMembershipChangedSignal,
  ticketWorkflowId,
  TicketErrorType,
  type ActionRequest,
  type ApprovalRequest,
  type CustomFieldsRequest,
  type ReplyRequest,
  type TicketView,
  type TicketWorkflowInput,
} from './definitions';
import { routeTicket } from './domain/routing';
import type { LifecycleAction } from './domain/status-machine';
import { HandledUpdates } from './handled-updates';
import { approvalSummary, type ApprovalAction } from './ticket-approval';
import { ActionRefused, TicketEntity, type Effect } from './ticket-entity';
import {
  APPLIED_VERSION_RECORDED_PATCH,
  APPROVAL_TIMERS_PAUSE_PATCH,
  DUE_TIMERS_KEPT_PATCH,
  EFFECTS_OFF_LOOP_PATCH,
  EVENT_NOTIFICATIONS_PATCH,
  FINISH_WAKES_ON_WORK_PATCH,
  LOCAL_DB_WRITES_PATCH,
  NOTIFY_BATCHED_PATCH,
  NOTIFY_WITH_PROJECTION_PATCH,
  PROJECT_BEFORE_EFFECTS_PATCH,
  SLA_AND_APPROVALS_PATCH,
  SLA_NOTICES_PATCH,
  TEAM_MEMBERSHIP_SIGNAL_PATCH,
  TIMER_SUMMARIES_PATCH,
  earlierPatches,
} from './ticket-patches';
import { autoCloseAt, describeTicket, ticketSearchAttributes } from './ticket-presentation';
import { slaExplanation, slaSummary } from './ticket-sla';

type Activities = ReturnType<typeof createActivities>;
type NotifyEffect = Extract<Effect, { kind: 'notify' }>;

// Our own database: retry until it is back rather than give up, since a ticket must never
// lose an event because MySQL was down a while.
const { projectTicket, chooseAssignee } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});
// `notify` only writes the in-portal notification and the email outbox rows (delivery to
// Postmark happens off the ticket), so it too is retried until the database answers: a
// notification is never lost to an outage, however long (no maximumAttempts: unlimited).
const { notify, notifyAll } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});
// The same two short writes to our own database as local activities: they run inside the
// workflow task that asked for them, so routing, assignment, projection and the answer to the
// create (or action) take one workflow task instead of one per activity. Retried the same way;
// past the threshold a retry waits on a durable timer instead of holding the task open.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});
// Paging reaches outside: bounded, so a dead webhook is recorded as a failed escalation.
const { pageOnCall } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 8 },
});

/** One ticket, from submission to its terminal status: the single source of truth for its lifecycle. */
export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketView> {
  const since = earlierPatches();
  const ticket = openOrResume(input, since);
  const handled = new HandledUpdates(input.handledUpdates);
  const projectFirst = since(PROJECT_BEFORE_EFFECTS_PATCH);
  const localWrites = since(LOCAL_DB_WRITES_PATCH);
  let upserted = '';
  const timerSummaries = since(TIMER_SUMMARIES_PATCH);
  const effectsOffLoop = since(EFFECTS_OFF_LOOP_PATCH);
  const notifyBatched = effectsOffLoop && since(NOTIFY_BATCHED_PATCH);
  const keepDueTimers = since(DUE_TIMERS_KEPT_PATCH);
  const notifyWithProjection = notifyBatched && since(NOTIFY_WITH_PROJECTION_PATCH);
  /** Due instants (epoch ms) whose timer is set and has not fired yet (keepDueTimers). */
  const dueTimersSet = new Set<number>();
  /** Effects running beside the loop (effectsOffLoop): each completes into the ticket when its activity ends. */
  const inFlight = new Set<Effect>();
  /** A failure of an effect other than its activity's (a bug): thrown from the loop, failing the task as it did when effects were awaited. */
  let effectError: unknown;
  let opened = input.carried !== undefined;

  const view = (): TicketView => ({
    ...ticket.state,
    workflowId: ticketWorkflowId(ticket.state.number),
    projectedVersion: ticket.projectedVersion,
    recentEvents: ticket.recentEvents(),
    slaSummary: slaSummary(ticket, new Date()),
    approvalSummary: approvalSummary(ticket),
    autoCloseAt: autoCloseAt(ticket)?.toISOString() ?? null,
  });
  /** Every update answers only once the read tables show its change, so the portal never reads stale. */
  const answer = async () => {
    await condition(() => ticket.projectedVersion >= ticket.version);
    return view();
  };
  /** An update handler: applies the request once per update id, even across continue-as-new, then answers. */
  const once =
    <R>(apply: (request: R, now: Date) => void) =>
    async (request: R) => {
      const id = currentUpdateInfo()?.id;
      if (!handled.seen(id)) {
        asFailure(() => apply(request, new Date()));
        handled.add(id, new Date());
      }
      return answer();
    };
  /**
   * A validator: a repeat of a handled update is let through to answer with the current view; the
   * client's key reused for another request is refused (validators do not run on replay, so the
   * refusal changes no recorded history).
   */
  const unlessHandled =
    <R>(validate: (request: R, now: Date) => void) =>
    (request: R) => {
      const id = currentUpdateInfo()?.id;
      if (handled.seen(id)) return;
      if (handled.conflicts(id)) {
        asFailure(() => {
          throw new ActionRefused(TicketErrorType.IdempotencyConflict, 'This Idempotency-Key was already used with a different request body', 'Idempotency-Key');
        });
      }
      asFailure(() => validate(request, new Date()));
    };

  // ── Message handlers: each hands its message to the entity ──────────────────

  setHandler(stateQuery, view);
  setHandler(slaExplanationQuery, () => slaExplanation(ticket, new Date()));
  setHandler(awaitCreatedUpdate, async () => {
    await condition(() => opened);
    return answer();
  });
  for (const [action, update] of Object.entries(lifecycleUpdates) as [LifecycleAction, (typeof lifecycleUpdates)[LifecycleAction]][]) {
    setHandler(update, once((request: ActionRequest, now) => ticket.apply(action, request, now)), {
      validator: unlessHandled((request: ActionRequest) => ticket.validate(action, request)),
    });
  }
  const approvalUpdates: Array<[ApprovalAction, typeof approveUpdate]> = [
    ['approve', approveUpdate],
    ['reject', rejectUpdate],
    ['request_info', requestInfoUpdate],
    ['delegate', delegateUpdate],
  ];
  for (const [action, update] of approvalUpdates) {
    setHandler(update, once((request: ApprovalRequest, now) => ticket.decideApproval(action, request, now)), {
      validator: unlessHandled((request: ApprovalRequest, now) => ticket.validateApproval(action, request, now)),
    });
  }
  setHandler(replyUpdate, once((request: ReplyRequest, now) => ticket.reply(request, now)), {
    validator: unlessHandled((request: ReplyRequest) => ticket.validateReply(request)),
  });
  setHandler(editCustomFieldsUpdate, once((request: CustomFieldsRequest, now) => ticket.editCustomFields(request, now)), {
    validator: unlessHandled((request: CustomFieldsRequest) => ticket.validateCustomFields(request)),
  });
  setHandler(calendarChangedSignal, ({ calendar, reason }) => ticket.calendarChanged(calendar, reason, new Date(), since(APPLIED_VERSION_RECORDED_PATCH)));
  // New with policy versions: no earlier run ever received it, so it needs no patch.
  setHandler(slaPolicyPublishedSignal, ({ policy, reason }) => ticket.policyPublished(policy, reason, new Date()));
  setHandler(teamMembershipChangedSignal, ({ team }) => {
    if (since(TEAM_MEMBERSHIP_SIGNAL_PATCH)) ticket.teamMembershipChanged(team);
  });

  // ── Main logic: open, then wait for work or the next due point, drain, finish or continue as new ──

  if (!opened) {
    await openTicket();
    opened = true;
  }
  for (;;) {
    if (effectError !== undefined) throw effectError;
    await untilWorkOrDue();
    await assignIfPending();
    if (projectFirst) {
      // The change reaches the read tables (and every waiting update its answer) before
      // anything leaves the ticket; an effect's outcome is projected on the next turn.
      if (ticket.hasUnprojected()) await project();
      if (effectsOffLoop) {
        // Effects run beside the loop, which goes on projecting later changes (and answering
        // their updates) while a notify retries; each outcome is projected when it arrives.
        const fresh = ticket.effects.filter((effect) => !inFlight.has(effect));
        // The notifications one turn queued go out together: one activity, one email delivery.
        const notices = notifyBatched ? fresh.filter((effect): effect is NotifyEffect => effect.kind === 'notify') : [];
        const batches: Effect[][] = [...(notices.length > 0 ? [notices] : []), ...fresh.filter((effect) => !notices.includes(effect as NotifyEffect)).map((effect) => [effect])];
        for (const batch of batches) {
          batch.forEach((effect) => inFlight.add(effect));
          void (batch === notices ? runNotices(notices) : runEffect(batch[0]!))
            .catch((err) => {
              effectError ??= err;
            })
            .finally(() => batch.forEach((effect) => inFlight.delete(effect)));
        }
      } else if (ticket.effects.length > 0) {
        // Effects are independent of each other: together, their completions share workflow tasks.
        if (localWrites) await Promise.all([...ticket.effects].map(runEffect));
        else await runEffect(ticket.effects[0]!);
        continue;
      }
    } else {
      while (ticket.effects.length > 0) await runEffect(ticket.effects[0]!);
      if (ticket.hasUnprojected()) {
        await project();
        continue;
      }
    }
    if (!ticket.isTerminal() && !shouldContinueAsNew()) continue;
    if (inFlight.size > 0) {
      // Finishing or continuing as new waits for the effects still running (their outcomes are
      // the ticket's too), and meanwhile still handles what falls due, as the loop's sleep does.
      await untilWorkOrDue(() => inFlight.size === 0 || ticket.hasUnprojected() || effectsToStart() || effectError !== undefined);
      continue;
    }
    // Waiting for handlers lets every accepted update finish (and be answered) first. An
    // update accepted meanwhile waits for its projection, which only this loop runs: so the
    // wait also ends on new work, or that update and the ticket would wait on each other
    // forever. Only runs that would otherwise hang take the new path, hence the patch.
    if (since(FINISH_WAKES_ON_WORK_PATCH)) {
      await condition(() => allHandlersFinished() || ticket.hasUnprojected() || ticket.effects.length > 0);
    } else {
      await condition(() => allHandlersFinished() && !ticket.hasUnprojected() && ticket.effects.length === 0);
    }
    if (ticket.hasUnprojected() || ticket.effects.length > 0) continue;
    if (ticket.isTerminal()) return view();
    // AUTO_UPGRADE: the next run starts on the deployment's current build instead of this run's pinned one.
    await makeContinueAsNewFunc<typeof ticketWorkflow>({ initialVersioningBehavior: 'AUTO_UPGRADE' })({ ...input, carried: { ...ticket.state }, handledUpdates: handled.carry(new Date()) });
  }

  /** Routing, the approval chain and the SLA clocks, then the team's assignment strategy. */
  async function openTicket(): Promise<void> {
    const { draft, requester, config } = input;
    ticket.routeTo(routeTicket({ categoryId: draft.categoryId, title: draft.title, description: draft.description, requester }, config), new Date());
    if (ticket.state.sla !== undefined) {
      ticket.beginApproval(new Date());
      ticket.beginSla(new Date());
    }
    await assignIfPending();
  }

  /** Sleeps until an update or signal leaves work to do (or `ready` holds), or until the next due point, which it then handles. */
  async function untilWorkOrDue(ready: () => boolean = hasWork): Promise<void> {
    const due = ticket.nextDue();
    const wakeAt = due?.at ?? null;
    // A timer only while something is due later. The condition wakes on every change; before
    // keepDueTimers that cancelled the timer and the next wait set it again.
    let woken = true;
    if (wakeAt !== null && wakeAt <= Date.now()) woken = false;
    else if (wakeAt === null) await condition(ready);
    else if (keepDueTimers) {
      setDueTimer(due!);
      // Workflow time is the activation's, so the instant has passed once its timer has fired.
      const passed = () => Date.now() >= wakeAt || !dueTimersSet.has(wakeAt);
      await condition(() => ready() || passed());
      woken = !passed();
    } else if (timerSummaries) woken = await condition(ready, wakeAt - Date.now(), { summary: timerSummary(ticket.state.number, due!) });
    else woken = await condition(ready, wakeAt - Date.now());
    if (!woken && wakeAt !== null) ticket.onTimer(new Date());
  }

  /** One timer per due instant, set once and left to fire (see DUE_TIMERS_KEPT_PATCH). */
  function setDueTimer(due: { at: number; what: string }): void {
    if (dueTimersSet.has(due.at)) return;
    dueTimersSet.add(due.at);
    void sleep(due.at - Date.now(), { summary: timerSummary(ticket.state.number, due) }).then(
      () => dueTimersSet.delete(due.at),
      // Only an operator's cancel of the whole workflow gets here: the loop's own wait ends it.
      () => undefined,
    );
  }

  function hasWork(): boolean {
    return ticket.hasUnprojected() || effectsToStart() || effectError !== undefined || ticket.needsAssignment() || ticket.isTerminal() || shouldContinueAsNew();
  }

  /** Effects not yet started: the ones running beside the loop are not the loop's work. */
  function effectsToStart(): boolean {
    return effectsOffLoop ? ticket.effects.some((e) => !inFlight.has(e)) : ticket.effects.length > 0;
  }

  // The server suggests continue-as-new as history grows; the configured limit lets operators (and tests) go earlier.
  // With Worker Deployment Versioning a ticket is pinned to the build that started it; once a new
  // build is current the server says so, and continuing as new moves the ticket onto it (the
  // carried state, not the old history, is all the new code has to understand).
  function shouldContinueAsNew(): boolean {
    const limit = input.config.continueAsNewAfterEvents;
    return (
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().targetWorkerDeploymentVersionChanged ||
      (limit !== undefined && workflowInfo().historyLength > limit)
    );
  }

  async function assignIfPending(): Promise<void> {
    const request = ticket.assignmentRequest();
    if (request) ticket.autoAssign(await (localWrites ? local.chooseAssignee : chooseAssignee)(request), request, new Date());
  }

  async function project(): Promise<void> {
    const batch = { ...ticket.pendingProjection(), workflowId: workflowInfo().workflowId };
    // The notifications waiting to start ride with the projection (one local activity instead of
    // a notifyAll activity and the workflow task taking its outcome); any it could not record stay
    // queued, and the loop starts them as notifyAll.
    const notices = notifyWithProjection ? ticket.effects.filter((effect): effect is NotifyEffect => effect.kind === 'notify' && !inFlight.has(effect)) : [];
    if (notices.length > 0) {
      const { notified } = await local.projectAndNotify({ ...batch, notifications: notices.map((effect) => effect.input) });
      ticket.markProjected(batch.ticket.version);
      if (notified) notices.forEach((effect, i) => ticket.completeEffect(effect, notifiedText(notified[i] ?? 0), new Date()));
    } else {
      await (localWrites ? local.projectTicket : projectTicket)(batch);
      ticket.markProjected(batch.ticket.version);
    }
    const attributes = ticketSearchAttributes(ticket);
    const key = JSON.stringify(attributes);
    if (!localWrites || key !== upserted) upsertSearchAttributes(attributes);
    upserted = key;
    setCurrentDetails(describeTicket(ticket, view(), ticket.nextDue()));
  }

  /** Several notifications in one `notifyAll`; each completes with its own count. */
  async function runNotices(notices: NotifyEffect[]): Promise<void> {
    let results: string[];
    try {
      results = (await notifyAll(notices.map((effect) => effect.input))).map((r) => notifiedText(r.delivered));
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      results = notices.map(() => `failed: ${err.cause?.message ?? err.message}`);
    }
    notices.forEach((effect, i) => ticket.completeEffect(effect, results[i]!, new Date()));
  }

  async function runEffect(effect: Effect): Promise<void> {
    let result: string;
    try {
      result = effect.kind === 'notify' ? notifiedText((await notify(effect.input)).delivered) : `paged on-call: ${(await pageOnCall(effect.input)).summary}`;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      result = `failed: ${err.cause?.message ?? err.message}`;
    }
    ticket.completeEffect(effect, result, new Date());
  }
}

/** A new ticket with the behaviour its patches allow, or the previous run's ticket after continue-as-new. */
function openOrResume(input: TicketWorkflowInput, since: (patch: string) => boolean): TicketEntity {
  const { carried } = input;
  if (carried) return TicketEntity.resume(carried, input.config, since);
  return TicketEntity.open(
    input,
    new Date(),
    {
      sla: since(SLA_AND_APPROVALS_PATCH),
      notifyOnEvents: since(EVENT_NOTIFICATIONS_PATCH),
      slaNotices: since(SLA_NOTICES_PATCH),
      approvalTimersPause: since(APPROVAL_TIMERS_PAUSE_PATCH),
    },
    since,
  );
}

/** What a due-point timer waits for, as Temporal UI shows it: "#12 first-response breach at 2026-12-02T14:30:00.000Z". */
function timerSummary(number: number, due: { at: number; what: string }): string {
  return `#${number} ${due.what} at ${new Date(due.at).toISOString()}`;
}

function notifiedText(count: number): string {
  return `notified ${count} ${count === 1 ? 'person' : 'people'}`;
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
