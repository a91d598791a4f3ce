import type { Actor } from './domain/types';
import type { ApprovalRequest, MessageVisibility } from './definitions';
import { approvalDecision, approvalTimerChanges, infoAnswered, openChain, type ApprovalAction, type ApprovalChange } from './ticket-approval';
import { slaAfterStatus } from './ticket-entity-sla';
import type { TicketWriter } from './ticket-entity-writer';
import type { Effect } from './ticket-model';

/**
 * The part of TicketEntity that applies approval decisions: opening the chain, approvers'
 * decisions, a requester answering a request for information, reminders and escalation of
 * a waiting step. Called only by the entity, with its writer; the decisions come from
 * ticket-approval.ts, which only reads.
 */

/** Puts the ticket in front of its approvers when its category needs approval. */
export function beginApproval(ticket: TicketWriter, now: Date): void {
  // Steps the org chart left with nobody eligible: the timeline says which, what was done, and why.
  for (const adjustment of ticket.config.approval?.adjustments ?? []) {
    const { resolution, ...data } = adjustment;
    ticket.recordSystem(now, { type: resolution === 'skipped' ? 'approval_step_skipped' : 'approval_step_escalated', data });
  }
  const opened = openChain(ticket, now);
  if (!opened) return;
  ticket.state.approval = opened.chain;
  const from = ticket.state.status;
  const to = ticket.transition('request_approval');
  ticket.record(now, null, opened.event.type, from, to, opened.event.data);
  queueNotices(ticket, opened.notices);
}

/** An approver approved, rejected, asked for information or delegated; the last approval or a rejection ends the chain. */
export function decideApproval(ticket: TicketWriter, action: ApprovalAction, request: ApprovalRequest, now: Date): void {
  const decision = approvalDecision(ticket, action, request, now);
  if (!decision) return;
  applyApprovalChange(ticket, decision, request.actor, now);
  if (decision.outcome?.kind === 'rejected') {
    const to = ticket.transition('approval_rejected');
    ticket.state.closedAt = now.toISOString();
    ticket.record(now, request.actor, 'rejected', 'pending_approval', to, decision.outcome.data);
  } else if (decision.outcome?.kind === 'approved') {
    const to = ticket.transition('approval_granted');
    ticket.setAssignmentPending(true);
    ticket.record(now, null, 'approved', 'pending_approval', to, {});
    slaAfterStatus(ticket, 'pending_approval', to, now);
  }
}

/** A requester's public reply answers an approver's open request for information. */
export function approvalOnReply(ticket: TicketWriter, actor: Actor, visibility: MessageVisibility, now: Date): void {
  const answered = infoAnswered(ticket, actor, visibility, now);
  if (answered) applyApprovalChange(ticket, { ...answered, notices: [] }, null, now);
}

/** A waiting step's reminder or escalation fell due. */
export function approvalOnTimer(ticket: TicketWriter, now: Date): void {
  if (!ticket.state.approval) return;
  for (const change of approvalTimerChanges(ticket, now)) applyApprovalChange(ticket, change, null, now);
}

function applyApprovalChange(ticket: TicketWriter, change: ApprovalChange, actor: Actor | null, now: Date): void {
  ticket.state.approval = change.chain;
  ticket.record(now, actor, change.event.type, null, null, change.event.data);
  queueNotices(ticket, change.notices);
}

function queueNotices(ticket: TicketWriter, notices: Effect['input'][]): void {
  for (const input of notices) ticket.queue({ kind: 'notify', input } as Effect);
}
