import type { CalendarSnapshot, SlaPolicySnapshot } from './domain/types';
import { breachNow, pausedPastTarget, type SlaState } from './domain/sla-clock';
import { markSla, type SlaStep } from './domain/sla-explain';
import { decideSystem } from './domain/status-machine';
import { SYSTEM_ACTOR, type TicketStatus } from './domain/types';
import type { TicketWriter } from './ticket-entity-writer';
import { PAUSED_CLOCK_BREACH_PATCH } from './ticket-patches';
import { escalationFor, type EscalationDecision } from './ticket-escalation';
import { collectSlaDue, slaDues, slaMoved, slaOnCalendarChange, slaOnPolicyInputs, slaOnPolicyVersion, slaOnStatus, slaStart, type SlaChange } from './ticket-sla';

/**
 * The part of TicketEntity that applies SLA and escalation decisions: the clocks, breaches,
 * warnings and the escalation ladder. Called only by the entity, with its writer; the
 * decisions come from ticket-sla.ts and ticket-escalation.ts, which only read.
 */

/** Starts the SLA clocks on the current team and priority, or records why there are none. */
export function beginSla(ticket: TicketWriter, now: Date): void {
  const { sla, event } = slaStart(ticket, now);
  ticket.state.sla = sla;
  const step = noteStep(ticket, 'clocks started', now);
  ticket.recordSystem(now, step ? { ...event, data: { ...event.data, step } } : event);
}

/** The explanation keeps the newest steps; anything older is one "counted before" line, so the sum still holds. */
const MAX_SLA_STEPS = 200;

/** Marks what the clocks had counted at this change, for the deadline's explanation. */
function noteStep(ticket: TicketWriter, reason: string, now: Date): SlaStep | null {
  if (!ticket.state.sla) return null;
  const step = markSla(ticket.state.sla, now, reason);
  ticket.state.slaSteps = [...(ticket.state.slaSteps ?? []), step].slice(-MAX_SLA_STEPS);
  return step;
}

/** The clocks' reaction to a status change (`from` → `to`). */
export function slaAfterStatus(ticket: TicketWriter, from: TicketStatus, to: TicketStatus, now: Date, reopened = false): void {
  changeSla(ticket, slaOnStatus(from, to, now, reopened), now);
}

/**
 * An admin applied a calendar version to the open tickets on it. `alwaysRecord`: the ticket
 * records the new version even when no due instant moved (tickets started before that
 * patch record only moves, as they did).
 */
export function slaOnCalendar(ticket: TicketWriter, calendar: CalendarSnapshot, reason: string, now: Date, alwaysRecord = false): void {
  changeSla(ticket, slaOnCalendarChange(ticket, calendar, reason, now), now, alwaysRecord);
}

/**
 * An admin applied a newer version of a policy to open tickets: the ticket adopts it (a later
 * priority change or transfer back onto this policy uses it too) and, when its clocks run on
 * it, recomputes them and records why.
 */
export function slaOnPolicyPublished(ticket: TicketWriter, policy: SlaPolicySnapshot, reason: string, now: Date): void {
  const policies = ticket.config.slaPolicies;
  const index = policies?.findIndex((p) => p.id === policy.id) ?? -1;
  if (policies && index >= 0 && policies[index]!.version < policy.version) policies[index] = policy;
  changeSla(ticket, slaOnPolicyVersion(ticket, policy, reason, now), now, true);
}

/**
 * Applies a change to the clocks and records it when a due instant moved. Anything that
 * fell due before `now` (the timer may not have been handled yet) is handled first, so a
 * late reply or pause can never hide a breach or skip a rung.
 */
export function changeSla(ticket: TicketWriter, change: SlaChange | null, now: Date, alwaysRecord = false): void {
  if (!change || !ticket.state.sla) return;
  escalateDue(ticket, now);
  const before: SlaState | null | undefined = ticket.state.sla;
  if (!before) return;
  ticket.state.sla = change.change(before);
  const moved = slaMoved(before, ticket.state.sla, change.reason) ?? (alwaysRecord ? { type: 'sla_recomputed', data: { reason: change.reason, before: slaDues(before), after: slaDues(ticket.state.sla) } } : null);
  if (moved) {
    const step = noteStep(ticket, change.reason, now);
    ticket.recordSystem(now, { ...moved, data: { ...moved.data, step } });
  }
  // A target that shrank below what a paused clock had counted is missed now: nothing else
  // would record it if the ticket is answered or resolved before the clock runs again.
  const missed = pausedPastTarget(ticket.state.sla);
  if (missed.length === 0 || !ticket.since(PAUSED_CLOCK_BREACH_PATCH)) return;
  ticket.state.sla = breachNow(ticket.state.sla, missed, now);
  for (const clock of missed) ticket.recordSystem(now, { type: 'sla_breached', data: { clock, dueAt: now.toISOString() } });
}

/** Team or priority changed: the policy may start, stop applying, or move its targets. */
export function slaOnPolicyChange(ticket: TicketWriter, reason: string, now: Date): void {
  const outcome = slaOnPolicyInputs(ticket, reason, now);
  if (outcome.kind === 'start') beginSla(ticket, now);
  else if (outcome.kind === 'not_applicable') ticket.recordSystem(now, outcome.event);
  else if (outcome.kind === 'change') changeSla(ticket, outcome, now);
}

/** Records every breach and warning due by `now`, then runs each due escalation rung once. */
export function escalateDue(ticket: TicketWriter, now: Date): void {
  if (!ticket.state.sla) return;
  const due = collectSlaDue(ticket.state.sla, now);
  ticket.state.sla = due.sla;
  for (const event of due.events) ticket.recordSystem(now, event);
  for (const rung of due.rungs) applyEscalation(ticket, escalationFor(ticket, rung), now);
}

function applyEscalation(ticket: TicketWriter, decision: EscalationDecision, now: Date): void {
  switch (decision.kind) {
    case 'effect':
      ticket.queue(decision.effect);
      return;
    case 'note':
      ticket.recordSystem(now, decision.event);
      return;
    case 'assign_backup': {
      const from = ticket.state.status;
      const allowed = decideSystem(ticket.facts(), 'escalate_to_backup', SYSTEM_ACTOR);
      if (!allowed.ok) {
        ticket.recordSystem(now, { type: 'escalation', data: { ...decision.data, result: `no backup assigned: ${allowed.message}` } });
        return;
      }
      ticket.state.assigneeId = decision.assigneeId;
      ticket.state.status = allowed.to;
      ticket.record(now, null, 'escalation', from, allowed.to, decision.data);
      slaAfterStatus(ticket, from, allowed.to, now);
      return;
    }
    case 'bump_priority':
      ticket.state.priority = decision.to;
      ticket.recordSystem(now, { type: 'escalation', data: decision.data });
      slaOnPolicyChange(ticket, `priority ${decision.from} → ${decision.to} by escalation`, now);
      return;
  }
}
