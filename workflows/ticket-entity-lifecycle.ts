import { decide, type LifecycleAction } from './domain/status-machine';
import type { ActionRequest } from './definitions';
import { slaAfterStatus, slaOnPolicyChange } from './ticket-entity-sla';
import type { TicketWriter } from './ticket-entity-writer';
import { refuse, teamOf } from './ticket-model';

/**
 * The part of TicketEntity that applies a person's lifecycle action (assign, start, resolve,
 * transfer, share, ...) once the status machine allows it, and lets the clocks react. Called
 * only by the entity, with its writer.
 */
export function applyAction(ticket: TicketWriter, action: LifecycleAction, request: ActionRequest, now: Date): void {
  // The validator already ran; deciding again here only guards against a state change in between.
  const decision = decide(ticket.facts(), action, request.actor, request.input);
  if (!decision.ok) refuse(decision.code, decision.message, decision.code === 'VALIDATION_ERROR' ? decision.field : undefined);
  const from = ticket.state.status;
  const previousPriority = ticket.state.priority;
  const { input, actor } = request;
  let to = decision.to;
  switch (action) {
    case 'assign':
      ticket.state.assigneeId = input.assigneeId!;
      break;
    case 'resolve':
      // Whoever resolves an unowned ticket owns the resolution (and a later reopen).
      if (ticket.state.assigneeId === null && actor.userId !== null) ticket.state.assigneeId = actor.userId;
      break;
    case 'set_priority':
      ticket.state.priority = input.priority!;
      break;
    case 'transfer': {
      const target = teamOf(ticket, input.teamId!)!;
      const previous = teamOf(ticket);
      ticket.state.teamId = target.id;
      ticket.state.departmentId = target.departmentId;
      if (ticket.state.assigneeId !== null && !target.memberIds.includes(ticket.state.assigneeId)) {
        ticket.state.assigneeId = null;
        if (from === 'assigned' || from === 'in_progress') to = 'new';
      }
      ticket.setAssignmentPending(ticket.state.assigneeId === null);
      ticket.record(now, actor, 'transfer', from, to, { ...input, fromTeamId: previous?.id ?? null, fromTeamName: previous?.name ?? null, teamName: target.name });
      ticket.state.status = to;
      slaOnPolicyChange(ticket, `transferred to ${target.name}`, now);
      slaAfterStatus(ticket, from, to, now);
      return;
    }
    case 'share': {
      const shares = (ticket.state.shares ?? []).filter((s) => s.teamId !== input.teamId);
      ticket.state.shares = [...shares, { teamId: input.teamId!, access: input.access! }];
      break;
    }
  }
  ticket.state.status = to;
  if (to === 'resolved') ticket.state.resolvedAt = now.toISOString();
  if (action === 'reopen') ticket.state.resolvedAt = null;
  if (to === 'closed' || to === 'cancelled') ticket.state.closedAt = now.toISOString();
  ticket.record(now, actor, action, from, to, { ...input });
  if (action === 'set_priority') slaOnPolicyChange(ticket, `priority ${previousPriority} → ${input.priority}`, now);
  slaAfterStatus(ticket, from, to, now, action === 'reopen');
}
