import type { DueRung } from './ticket-sla';
import { higherPriority, slaOnPolicyInputs, slaOnStatus } from './ticket-sla';
import type { Effect, TicketEntity } from './ticket-entity';

/**
 * The SLA escalation ladder in action: each due rung changes the ticket now (backup
 * assignee, higher priority) or queues an activity (notify a role, page on-call) whose
 * result is recorded when it has run. Each rung runs once; `collectSlaDue` sees to that.
 */
/** Runs one rung of the escalation ladder: state changes now, notifications and pages as effects. */
export function escalate(ticket: TicketEntity, { step, rung, policyId, dueAt }: DueRung, now: Date): void {
  const id = `ticket-${ticket.state.number}:sla:${policyId}:step-${step}`;
  const base = { step, action: rung.action, afterMinutes: rung.afterMinutes, dueAt: dueAt.toISOString() };
  switch (rung.action) {
    case 'notify_role':
      ticket.effects.push({
        kind: 'notify',
        escalationStep: step,
        rung,
        dueAt: dueAt.toISOString(),
        input: {
          id,
          ticketNumber: ticket.state.number,
          kind: 'escalation',
          title: `Escalation: #${ticket.state.number} ${ticket.state.title}`,
          body: `SLA escalation step ${step + 1} (${rung.afterMinutes} business minutes) for a ${ticket.state.priority} ticket.`,
          recipients: { role: rung.role, departmentId: ticket.state.departmentId, teamId: ticket.state.teamId },
        },
      });
      return;
    case 'page_oncall':
      ticket.effects.push({ kind: 'page', escalationStep: step, rung, dueAt: dueAt.toISOString(), input: { id, ticketNumber: ticket.state.number, teamId: ticket.state.teamId, message: `#${ticket.state.number} ${ticket.state.title}` } });
      return;
    case 'assign_backup': {
      const backup = (ticket.team()?.leadIds ?? []).find((id) => id !== ticket.state.assigneeId) ?? null;
      if (backup === null) {
        ticket.record(now, null, 'escalation', null, null, { ...base, result: 'no backup available on the team' });
        return;
      }
      const from = ticket.state.status;
      ticket.state.assigneeId = backup;
      if (from === 'new' || from === 'triaged') ticket.state.status = 'assigned';
      ticket.record(now, null, 'escalation', from, ticket.state.status, { ...base, result: `assigned to backup ${backup}`, assigneeId: backup });
      slaOnStatus(ticket, from, ticket.state.status, now);
      return;
    }
    case 'bump_priority': {
      const next = higherPriority(ticket.state.priority);
      if (next === null) {
        ticket.record(now, null, 'escalation', null, null, { ...base, result: 'already critical' });
        return;
      }
      const previous = ticket.state.priority;
      ticket.state.priority = next;
      ticket.record(now, null, 'escalation', null, null, { ...base, result: `priority ${previous} → ${next}` });
      slaOnPolicyInputs(ticket, `priority ${previous} → ${next} by escalation`, now);
      return;
    }
  }
}

/** Records an escalation effect's outcome once its activity has run (or given up). */
export function completeEffect(ticket: TicketEntity, effect: Effect, result: string, now: Date): void {
  if (effect.escalationStep === undefined) return;
  ticket.record(now, null, 'escalation', null, null, {
    step: effect.escalationStep,
    action: effect.rung?.action ?? effect.kind,
    afterMinutes: effect.rung?.afterMinutes,
    dueAt: effect.dueAt,
    result,
  });
}
