import type { Priority } from './domain/types';
import { teamOf, type Effect, type EventDraft, type TicketSnapshot } from './ticket-model';
import { higherPriority, type DueRung } from './ticket-sla';

/**
 * The SLA escalation ladder as decisions: each due rung either changes the ticket now
 * (backup assignee, higher priority), queues an activity (notify a role, page on-call)
 * whose result is recorded once it has run, or is recorded as not possible. The entity
 * applies the decision; each rung runs once (`collectSlaDue` sees to that).
 */
export type EscalationDecision =
  | { kind: 'effect'; effect: Effect }
  | { kind: 'note'; event: EventDraft }
  | { kind: 'assign_backup'; assigneeId: number; data: Record<string, unknown> }
  | { kind: 'bump_priority'; from: Priority; to: Priority; data: Record<string, unknown> };

export function escalationFor(ticket: TicketSnapshot, { step, rung, policyId, dueAt }: DueRung): EscalationDecision {
  const { state } = ticket;
  const id = `ticket-${state.number}:sla:${policyId}:step-${step}`;
  const origin = { escalationStep: step, rung, dueAt: dueAt.toISOString() };
  const base = { step, action: rung.action, afterMinutes: rung.afterMinutes, dueAt: dueAt.toISOString() };
  switch (rung.action) {
    case 'notify_role':
      return {
        kind: 'effect',
        effect: {
          kind: 'notify',
          ...origin,
          input: {
            id,
            ticketNumber: state.number,
            kind: 'escalation',
            title: `Escalation: #${state.number} ${state.title}`,
            body: `SLA escalation step ${step + 1} (${rung.afterMinutes} business minutes) for a ${state.priority} ticket.`,
            recipients: { role: rung.role, departmentId: state.departmentId, teamId: state.teamId },
          },
        },
      };
    case 'page_oncall':
      return { kind: 'effect', effect: { kind: 'page', ...origin, input: { id, ticketNumber: state.number, teamId: state.teamId, message: `#${state.number} ${state.title}` } } };
    case 'assign_backup': {
      const backup = (teamOf(ticket)?.leadIds ?? []).find((lead) => lead !== state.assigneeId) ?? null;
      if (backup === null) return { kind: 'note', event: { type: 'escalation', data: { ...base, result: 'no backup available on the team' } } };
      return { kind: 'assign_backup', assigneeId: backup, data: { ...base, result: `assigned to backup ${backup}`, assigneeId: backup } };
    }
    case 'bump_priority': {
      const next = higherPriority(state.priority);
      if (next === null) return { kind: 'note', event: { type: 'escalation', data: { ...base, result: 'already critical' } } };
      return { kind: 'bump_priority', from: state.priority, to: next, data: { ...base, result: `priority ${state.priority} → ${next}` } };
    }
  }
}

/** The timeline entry for an escalation effect's outcome once its activity has run (or given up); null for other effects. */
export function effectOutcome(effect: Effect, result: string): EventDraft | null {
  if (effect.escalationStep === undefined) return null;
  return {
    type: 'escalation',
    data: { step: effect.escalationStep, action: effect.rung?.action ?? effect.kind, afterMinutes: effect.rung?.afterMinutes, dueAt: effect.dueAt, result },
  };
}
