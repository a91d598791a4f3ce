import {
  actingSlot,
  alreadyApproved,
  answerInfo,
  decideStep,
  describeChain,
  escalateStep,
  handOver,
  requestInfo,
  startChain,
  type ApprovalDirectory,
  type ChainState,
  type StandingDelegation,
} from './domain/approvals';
import { addBusinessMinutes, businessMinutesBetween } from './domain/business-time';
import type { ApprovalRequest, MessageVisibility, NotifyInput } from './definitions';
import type { Actor } from './domain/types';
import { refuse, usableCalendarOf, type EventDraft, type TicketSnapshot } from './ticket-model';

/**
 * The approval chain as decisions: starting it, the four approver actions, the requester's
 * answer to a request for information, and each step's reminder and escalation timers.
 * Nothing here writes the ticket: each function returns the next chain, the events to
 * record and whom to notify, and `TicketEntity` applies them (moving the status through the
 * status machine when the chain is decided). Work and the SLA clocks start once approved.
 */

export type ApprovalAction = 'approve' | 'reject' | 'request_info' | 'delegate';

/** One change to the chain: the chain it leads to, what to record, whom to tell. */
export interface ApprovalChange {
  chain: ChainState;
  event: EventDraft;
  notices: NotifyInput[];
}

/** An approver's decision; `outcome` is set when it decides the whole chain. */
export interface ApprovalDecision extends ApprovalChange {
  outcome?: { kind: 'approved' } | { kind: 'rejected'; data: Record<string, unknown> };
}

function names(ticket: TicketSnapshot) {
  return (id: number) => ticket.config.approval?.names[id] ?? `user ${id}`;
}

function directory(ticket: TicketSnapshot): ApprovalDirectory {
  const approval = ticket.config.approval!;
  return {
    people: Object.entries(approval.managers).map(([id, managerId]) => ({ id: Number(id), name: names(ticket)(Number(id)), managerId, departmentId: null, roles: [] })),
    departmentHeads: {},
    groups: {},
    delegations: approval.delegations,
  };
}

function approverNotices(ticket: TicketSnapshot, chain: ChainState, kind: string, suffix: string, only?: number[]): NotifyInput[] {
  const step = chain.steps[chain.current]!;
  const decided = new Set(step.decisions.map((d) => d.approverId));
  const userIds = (only ?? step.approverIds.filter((id) => !decided.has(id))).map((id) => step.delegatedTo[id] ?? id);
  if (userIds.length === 0) return [];
  return [
    {
      id: `ticket-${ticket.state.number}:approval:${chain.current}:${kind}${suffix}`,
      ticketNumber: ticket.state.number,
      kind,
      title: `Approval needed: #${ticket.state.number} ${ticket.state.title}`,
      body: describeChain(chain, names(ticket)),
      recipients: { userIds },
    },
  ];
}

/** The chain the ticket waits on before it is worked, or null when its category needs no approval. */
export function openChain(ticket: TicketSnapshot, now: Date): ApprovalChange | null {
  const approval = ticket.config.approval;
  const steps = approval?.steps ?? [];
  if (steps.length === 0) return null;
  const chain = startChain(steps, now);
  return {
    chain,
    event: {
      type: 'approval_requested',
      data: { steps: steps.map((s) => ({ name: s.name, approverIds: s.approverIds, required: s.required })) },
    },
    notices: approverNotices(ticket, chain, 'approval_requested', ''),
  };
}

function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Whose approvals the caller may give. The API resolves `actingFor` from the live
 * delegations table when the request arrives (so it is in history); only requests without
 * it fall back on the delegations snapshotted when the ticket started.
 */
function delegationsFor(ticket: TicketSnapshot, request: ApprovalRequest): StandingDelegation[] {
  if (request.actingFor === undefined) return ticket.config.approval?.delegations ?? [];
  const userId = request.actor.userId ?? -1;
  return request.actingFor.map((fromUserId) => ({ fromUserId, toUserId: userId, startsOn: '0000-01-01', endsOn: '9999-12-31' }));
}

/** Who the actor acts for on the current step; throws a refusal otherwise. A repeated approve returns null (a no-op). */
export function validateApproval(ticket: TicketSnapshot, action: ApprovalAction, request: ApprovalRequest, now: Date): number | null {
  const { state } = ticket;
  const chain = state.approval;
  const userId = request.actor.userId;
  const pending = chain !== null && chain !== undefined && state.status === 'pending_approval';
  const slot = pending && userId !== null ? actingSlot(chain, userId, state.requesterId, isoDate(now), delegationsFor(ticket, request)) : null;
  const slotDecided = pending && typeof slot === 'number' && chain.steps[chain.current]!.decisions.some((d) => d.approverId === slot);
  const stepMovedOn = pending && request.step !== undefined && request.step !== chain.current;
  // A repeated approve (a second click, an email link after the portal, a click after the
  // step moved on) is a no-op, never an approval of the next step.
  if (action === 'approve' && chain && userId !== null && alreadyApproved(chain, userId) && (slotDecided || stepMovedOn || typeof slot !== 'number')) return null;
  if (!pending) refuse('ILLEGAL_TRANSITION', 'The ticket is not waiting for approval');
  if (userId === null) refuse('FORBIDDEN', 'Only people approve');
  // A decision made on another step than the current one never lands here, whoever sends it.
  if (stepMovedOn) refuse('ILLEGAL_TRANSITION', `The decision was made on step ${request.step! + 1}; the chain is at step ${chain.current + 1}`, 'step');
  if (typeof slot !== 'number') refuse(slot!.code, slot!.message, slot!.field);
  if (slotDecided) refuse('ILLEGAL_TRANSITION', 'This step already has your decision');
  if (action === 'reject' && !request.reason?.trim()) refuse('VALIDATION_ERROR', 'A rejection needs a reason', 'reason');
  if (action === 'request_info' && !request.question?.trim()) refuse('VALIDATION_ERROR', 'Say what information is needed', 'question');
  if (action === 'request_info' && chain.infoRequest) refuse('ILLEGAL_TRANSITION', 'Information was already requested and not yet answered');
  if (action === 'delegate') {
    if (request.toUserId === undefined) refuse('VALIDATION_ERROR', 'Name the person to delegate to', 'toUserId');
    const handed = handOver(chain, slot, request.toUserId, state.requesterId);
    if ('code' in handed) refuse(handed.code, handed.message, handed.field);
  }
  return slot;
}

/** What an approver's action does to the chain; null for a repeated approve (nothing changes). */
export function approvalDecision(ticket: TicketSnapshot, action: ApprovalAction, request: ApprovalRequest, now: Date): ApprovalDecision | null {
  const slot = validateApproval(ticket, action, request, now);
  if (slot === null) return null;
  const chain = ticket.state.approval!;
  const actor = request.actor;
  const onBehalfOf = slot !== actor.userId ? slot : null;
  const step = chain.current;
  const stepName = chain.steps[step]!.name;
  switch (action) {
    case 'approve':
    case 'reject': {
      const { chain: next } = decideStep(chain, slot, actor.userId!, action, request.reason ?? null, now);
      const event = { type: action === 'approve' ? 'approval_approved' : 'approval_rejected', data: { step, stepName, onBehalfOf, reason: request.reason ?? null } };
      if (next.outcome === 'rejected') return { chain: next, event, notices: [], outcome: { kind: 'rejected', data: { reason: request.reason, step } } };
      if (next.outcome === 'approved') return { chain: next, event, notices: [], outcome: { kind: 'approved' } };
      return { chain: next, event, notices: next.current !== step ? approverNotices(ticket, next, 'approval_requested', '') : [] };
    }
    case 'request_info':
      return {
        chain: requestInfo(chain, slot, request.question!.trim(), now),
        event: { type: 'approval_info_requested', data: { step, stepName, question: request.question, onBehalfOf } },
        notices: [],
      };
    case 'delegate': {
      const handed = handOver(chain, slot, request.toUserId!, ticket.state.requesterId) as ChainState;
      return {
        chain: handed,
        // `reason` is set when the directory hands on a departed approver's step (event data only: no new command).
        event: { type: 'approval_delegated', data: { step, stepName, from: slot, to: request.toUserId, onBehalfOf, reason: request.reason ?? null } },
        notices: approverNotices(ticket, handed, 'approval_delegated', `:${request.toUserId}`, [slot]),
      };
    }
  }
}

/**
 * The business rule behind a reply during approval: the requester's public reply answers
 * an open request for information, and the same step resumes. On tickets that pause their
 * step timers, the business time the question stood open is added to the step, so its
 * reminder and escalation come as late as the requester kept the approvers waiting.
 */
export function infoAnswered(ticket: TicketSnapshot, actor: Actor, visibility: MessageVisibility, now: Date): Omit<ApprovalChange, 'notices'> | null {
  const { state } = ticket;
  const chain = state.approval;
  if (actor.userId !== state.requesterId || visibility !== 'public') return null;
  if (!chain?.infoRequest || state.status !== 'pending_approval') return null;
  const answered = answerInfo(chain);
  if (!state.approvalTimersPause) return { chain: answered, event: { type: 'approval_info_answered', data: { step: chain.current } } };
  // Whole minutes, like the step's hours: a question answered a few milliseconds past the
  // minute must not push a deadline at closing time over to the next morning.
  const paused = Math.round(businessMinutesBetween(usableCalendarOf(ticket), new Date(chain.infoRequest.at), now));
  const steps = answered.steps.map((s, i) => (i === chain.current ? { ...s, pausedMinutes: (s.pausedMinutes ?? 0) + paused } : s));
  return { chain: { ...answered, steps }, event: { type: 'approval_info_answered', data: { step: chain.current, pausedBusinessMinutes: paused } } };
}

function stepDeadlines(ticket: TicketSnapshot): { remind: number | null; escalate: number | null } {
  const chain = ticket.state.approval;
  // While a question to the requester is open the step's clocks stand still.
  if (!chain || chain.outcome !== 'pending' || chain.infoRequest || ticket.state.status !== 'pending_approval') return { remind: null, escalate: null };
  const step = chain.steps[chain.current]!;
  if (!step.startedAt) return { remind: null, escalate: null };
  const calendar = usableCalendarOf(ticket);
  const paused = step.pausedMinutes ?? 0;
  const at = (hours: number | null, done: string | null) =>
    hours === null || done !== null ? null : addBusinessMinutes(calendar, new Date(step.startedAt!), hours * 60 + paused).getTime();
  return { remind: at(step.remindAfterHours, step.remindedAt), escalate: at(step.escalateAfterHours, step.escalatedAt) };
}

/** The current step's reminder and escalation instants (null when none is due to come). */
export function approvalDeadlines(ticket: TicketSnapshot): { remindAt: Date | null; escalateAt: Date | null } {
  const { remind, escalate } = stepDeadlines(ticket);
  return { remindAt: remind === null ? null : new Date(remind), escalateAt: escalate === null ? null : new Date(escalate) };
}

/** The next approval timer in words for Temporal UI: "approval reminder for Mark Manager". */
export function nextApprovalDue(ticket: TicketSnapshot): { at: number; what: string } | null {
  const { remind, escalate } = stepDeadlines(ticket);
  const chain = ticket.state.approval;
  if (!chain || (remind === null && escalate === null)) return null;
  const step = chain.steps[chain.current]!;
  const waitingOn = approversWaitedOn(ticket).join(', ') || 'nobody';
  if (remind !== null && (escalate === null || remind <= escalate)) return { at: remind, what: `approval reminder for ${waitingOn}` };
  return { at: escalate!, what: `approval escalation of "${step.name}" (waiting on ${waitingOn}) to their managers` };
}

/** The people the current approval step still waits on, by name (a delegate stands in for the approver). */
export function approversWaitedOn(ticket: TicketSnapshot): string[] {
  const chain = ticket.state.approval;
  if (!chain || chain.outcome !== 'pending') return [];
  const step = chain.steps[chain.current]!;
  const decided = new Set(step.decisions.map((d) => d.approverId));
  const name = names(ticket);
  return step.approverIds.filter((id) => !decided.has(id)).map((id) => (step.delegatedTo[id] ? `${name(step.delegatedTo[id]!)} (for ${name(id)})` : name(id)));
}

/** The step's reminder, then its escalation to the approvers' managers, for whichever is due by `now`. */
export function approvalTimerChanges(ticket: TicketSnapshot, now: Date): ApprovalChange[] {
  const { remind, escalate } = stepDeadlines(ticket);
  let chain = ticket.state.approval!;
  const changes: ApprovalChange[] = [];
  if (remind !== null && remind <= now.getTime()) {
    const step = chain.steps[chain.current]!;
    chain = { ...chain, steps: chain.steps.map((s, i) => (i === chain.current ? { ...s, remindedAt: now.toISOString() } : s)) };
    changes.push({
      chain,
      event: { type: 'approval_reminder_sent', data: { step: chain.current, stepName: step.name } },
      notices: approverNotices(ticket, chain, 'approval_reminder', ''),
    });
  }
  if (escalate !== null && escalate <= now.getTime()) {
    const { chain: escalated, added } = escalateStep(chain, directory(ticket), ticket.state.requesterId, now);
    changes.push({
      chain: escalated,
      event: { type: 'approval_escalated', data: { step: escalated.current, addedApprovers: added } },
      notices: added.length ? approverNotices(ticket, escalated, 'approval_escalated', '', added) : [],
    });
  }
  return changes;
}

export function approvalSummary(ticket: TicketSnapshot): string | null {
  const chain = ticket.state.approval;
  return chain ? describeChain(chain, names(ticket)) : null;
}
