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
} from './domain/approvals';
import { addBusinessMinutes } from './domain/business-time';
import type { ApprovalRequest } from './definitions';
import { refuse, type TicketEntity } from './ticket-entity';
import { usableCalendarOf } from './ticket-presentation';
import { slaOnStatus } from './ticket-sla';

/**
 * The approval chain inside the workflow: starting it, the four approver actions, and
 * the reminder / escalation timers of each step. Work (and the SLA clocks) only start
 * once the chain is approved.
 */

export type ApprovalAction = 'approve' | 'reject' | 'request_info' | 'delegate';


function names(ticket: TicketEntity) {
  return (id: number) => ticket.config.approval?.names[id] ?? `user ${id}`;
}

function directory(ticket: TicketEntity): ApprovalDirectory {
  const approval = ticket.config.approval!;
  return {
    people: Object.entries(approval.managers).map(([id, managerId]) => ({ id: Number(id), name: names(ticket)(Number(id)), managerId, departmentId: null, roles: [] })),
    departmentHeads: {},
    groups: {},
    delegations: approval.delegations,
  };
}

function notifyApprovers(ticket: TicketEntity, chain: ChainState, kind: string, suffix: string, only?: number[]): void {
  const step = chain.steps[chain.current]!;
  const decided = new Set(step.decisions.map((d) => d.approverId));
  const userIds = (only ?? step.approverIds.filter((id) => !decided.has(id))).map((id) => step.delegatedTo[id] ?? id);
  if (userIds.length === 0) return;
  ticket.effects.push({
    kind: 'notify',
    input: {
      id: `ticket-${ticket.state.number}:approval:${chain.current}:${kind}${suffix}`,
      ticketNumber: ticket.state.number,
      kind,
      title: `Approval needed: #${ticket.state.number} ${ticket.state.title}`,
      body: describeChain(chain, names(ticket)),
      recipients: { userIds },
    },
  });
}

/** True when the ticket must wait for approval before it is worked. */
export function beginApproval(ticket: TicketEntity, now: Date): boolean {
  const steps = ticket.config.approval?.steps ?? [];
  if (steps.length === 0) return false;
  const chain = startChain(steps, now);
  ticket.state.approval = chain;
  const from = ticket.state.status;
  ticket.state.status = 'pending_approval';
  ticket.record(now, null, 'approval_requested', from, 'pending_approval', {
    steps: steps.map((s) => ({ name: s.name, approverIds: s.approverIds, required: s.required })),
  });
  notifyApprovers(ticket, chain, 'approval_requested', '');
  return true;
}

function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Who the actor acts for on the current step; throws a refusal otherwise. A repeated approve returns null (a no-op). */
export function validateApproval(ticket: TicketEntity, action: ApprovalAction, request: ApprovalRequest, now: Date): number | null {
  const chain = ticket.state.approval;
  const userId = request.actor.userId;
  const pending = chain !== null && chain !== undefined && ticket.state.status === 'pending_approval';
  const slot = pending && userId !== null ? actingSlot(chain, userId, ticket.state.requesterId, isoDate(now), ticket.config.approval?.delegations ?? []) : null;
  const slotDecided = pending && typeof slot === 'number' && chain.steps[chain.current]!.decisions.some((d) => d.approverId === slot);
  const stepMovedOn = pending && request.step !== undefined && request.step !== chain.current;
  // A repeated approve (a second click, an email link after the portal, a click after the
  // step moved on) is a no-op, never an approval of the next step.
  if (action === 'approve' && chain && userId !== null && alreadyApproved(chain, userId) && (slotDecided || stepMovedOn || typeof slot !== 'number')) return null;
  if (!pending) refuse('ILLEGAL_TRANSITION', 'The ticket is not waiting for approval');
  if (userId === null) refuse('FORBIDDEN', 'Only people approve');
  if (typeof slot !== 'number') refuse(slot!.code, slot!.message, slot!.field);
  if (stepMovedOn) refuse('ILLEGAL_TRANSITION', `The chain has moved on from step ${request.step! + 1}`, 'step');
  if (slotDecided) refuse('ILLEGAL_TRANSITION', 'This step already has your decision');
  if (action === 'reject' && !request.reason?.trim()) refuse('VALIDATION_ERROR', 'A rejection needs a reason', 'reason');
  if (action === 'request_info' && !request.question?.trim()) refuse('VALIDATION_ERROR', 'Say what information is needed', 'question');
  if (action === 'request_info' && chain.infoRequest) refuse('ILLEGAL_TRANSITION', 'Information was already requested and not yet answered');
  if (action === 'delegate') {
    if (request.toUserId === undefined) refuse('VALIDATION_ERROR', 'Name the person to delegate to', 'toUserId');
    const handed = handOver(chain, slot, request.toUserId, ticket.state.requesterId);
    if ('code' in handed) refuse(handed.code, handed.message, handed.field);
  }
  return slot;
}

export function applyApproval(ticket: TicketEntity, action: ApprovalAction, request: ApprovalRequest, now: Date): void {
  const slot = validateApproval(ticket, action, request, now);
  if (slot === null) return;
  const chain = ticket.state.approval!;
  const actor = request.actor;
  const onBehalfOf = slot !== actor.userId ? slot : null;
  const stepIndex = chain.current;
  const stepName = chain.steps[stepIndex]!.name;
  switch (action) {
    case 'approve':
    case 'reject': {
      const { chain: next } = decideStep(chain, slot, actor.userId!, action, request.reason ?? null, now);
      ticket.state.approval = next;
      ticket.record(now, actor, action === 'approve' ? 'approval_approved' : 'approval_rejected', null, null, {
        step: stepIndex,
        stepName,
        onBehalfOf,
        reason: request.reason ?? null,
      });
      if (next.outcome === 'rejected') {
        ticket.state.status = 'rejected';
        ticket.state.closedAt = now.toISOString();
        ticket.record(now, actor, 'rejected', 'pending_approval', 'rejected', { reason: request.reason, step: stepIndex });
      } else if (next.outcome === 'approved') {
        ticket.state.status = 'new';
        ticket.assignmentPending = true;
        ticket.record(now, null, 'approved', 'pending_approval', 'new', {});
        slaOnStatus(ticket, 'pending_approval', 'new', now);
      } else if (next.current !== stepIndex) {
        notifyApprovers(ticket, next, 'approval_requested', '');
      }
      return;
    }
    case 'request_info':
      ticket.state.approval = requestInfo(chain, slot, request.question!.trim(), now);
      ticket.record(now, actor, 'approval_info_requested', null, null, { step: stepIndex, stepName, question: request.question, onBehalfOf });
      return;
    case 'delegate': {
      const handed = handOver(chain, slot, request.toUserId!, ticket.state.requesterId) as ChainState;
      ticket.state.approval = handed;
      // `reason` is set when the directory hands on a departed approver's step (event data only: no new command).
      ticket.record(now, actor, 'approval_delegated', null, null, { step: stepIndex, stepName, from: slot, to: request.toUserId, onBehalfOf, reason: request.reason ?? null });
      notifyApprovers(ticket, handed, 'approval_delegated', `:${request.toUserId}`, [slot]);
      return;
    }
  }
}

/** The requester's public reply answers an open request for information; the same step resumes. */
export function answerApprovalInfo(ticket: TicketEntity, now: Date): void {
  const chain = ticket.state.approval;
  if (!chain?.infoRequest || ticket.state.status !== 'pending_approval') return;
  ticket.state.approval = answerInfo(chain);
  ticket.record(now, null, 'approval_info_answered', null, null, { step: chain.current });
}

function stepDeadlines(ticket: TicketEntity): { remind: number | null; escalate: number | null } {
  const chain = ticket.state.approval;
  if (!chain || chain.outcome !== 'pending' || chain.infoRequest || ticket.state.status !== 'pending_approval') return { remind: null, escalate: null };
  const step = chain.steps[chain.current]!;
  if (!step.startedAt) return { remind: null, escalate: null };
  const calendar = usableCalendarOf(ticket);
  const at = (hours: number | null, done: string | null) =>
    hours === null || done !== null ? null : addBusinessMinutes(calendar, new Date(step.startedAt!), hours * 60).getTime();
  return { remind: at(step.remindAfterHours, step.remindedAt), escalate: at(step.escalateAfterHours, step.escalatedAt) };
}

export function nextApprovalWake(ticket: TicketEntity): number | null {
  const { remind, escalate } = stepDeadlines(ticket);
  const candidates = [remind, escalate].filter((t): t is number => t !== null);
  return candidates.length ? Math.min(...candidates) : null;
}

/** Sends the step's reminder and escalates it to the approvers' managers when their time is up. */
export function onApprovalTimer(ticket: TicketEntity, now: Date): void {
  const { remind, escalate } = stepDeadlines(ticket);
  const chain = ticket.state.approval!;
  if (remind !== null && remind <= now.getTime()) {
    const step = chain.steps[chain.current]!;
    ticket.state.approval = { ...chain, steps: chain.steps.map((s, i) => (i === chain.current ? { ...s, remindedAt: now.toISOString() } : s)) };
    ticket.record(now, null, 'approval_reminder_sent', null, null, { step: chain.current, stepName: step.name });
    notifyApprovers(ticket, ticket.state.approval, 'approval_reminder', '');
  }
  if (escalate !== null && escalate <= now.getTime()) {
    const { chain: escalated, added } = escalateStep(ticket.state.approval!, directory(ticket), ticket.state.requesterId, now);
    ticket.state.approval = escalated;
    ticket.record(now, null, 'approval_escalated', null, null, { step: escalated.current, addedApprovers: added });
    if (added.length) notifyApprovers(ticket, escalated, 'approval_escalated', '', added);
  }
}

export function approvalSummary(ticket: TicketEntity): string | null {
  const chain = ticket.state.approval;
  return chain ? describeChain(chain, names(ticket)) : null;
}
