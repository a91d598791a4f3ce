import { validateCalendar, type BusinessCalendar } from './domain/business-time';
import {
  collectDue,
  dueAt,
  nextDuePoint,
  onCalendarChange,
  onFirstResponse,
  onPolicyChange,
  onReopen,
  onStatus,
  startSla,
  summarise,
  type EscalationStep,
  type SlaState,
} from './domain/sla-clock';
import { PRIORITIES, type CalendarSnapshot, type ConfigSnapshot, type Priority, type SlaPolicySnapshot, type TicketStatus } from './domain/types';
import type { TicketEntity } from './ticket-entity';
import { escalate } from './ticket-escalation';

/**
 * The ticket's SLA clocks inside the workflow: which policy and calendar apply, and an
 * event with its reason every time a due instant moves, so "why did the due time move"
 * always has an answer in the timeline.
 */

/** How far into a target the warning goes out: early enough to act, late enough to mean it. */
export const SLA_WARNING_PERCENT = 80;

/** A team-specific policy wins over the department's. */
export function policyFor(config: ConfigSnapshot, departmentId: number, teamId: number | null, priority: Priority): SlaPolicySnapshot | undefined {
  const policies = config.slaPolicies ?? [];
  return (
    policies.find((p) => p.teamId !== null && p.teamId === teamId && p.priority === priority) ??
    policies.find((p) => p.teamId === null && p.departmentId === departmentId && p.priority === priority)
  );
}

/**
 * The calendar the clocks count on, or undefined when the team has none or it is unusable.
 * The admin API refuses malformed calendars; checking again here keeps a bad snapshot from
 * wedging a ticket's workflow in a failing task — the ticket runs on without an SLA instead.
 */
export function calendarFor(config: ConfigSnapshot, teamId: number | null, policy: SlaPolicySnapshot, override?: CalendarSnapshot): BusinessCalendar | undefined {
  const calendar = override ?? config.teams.find((t) => t.id === teamId)?.calendar;
  if (!calendar) return undefined;
  const effective = policy.clock === '24x7' ? { ...calendar, twentyFourSeven: true } : calendar;
  return validateCalendar(effective).length === 0 ? effective : undefined;
}

function dues(sla: SlaState | null | undefined) {
  return {
    firstResponseDue: sla ? dueAt(sla, 'first_response')?.toISOString() ?? null : null,
    resolutionDue: sla ? dueAt(sla, 'resolution')?.toISOString() ?? null : null,
  };
}

/**
 * Applies a change to the SLA state and records it when a due instant moved. Anything
 * that fell due before `now` (the timer may not have been handled yet) is recorded first,
 * so a late reply or pause can never hide a breach or skip a rung.
 */
export function changeSla(ticket: TicketEntity, reason: string, now: Date, change: (sla: SlaState) => SlaState): void {
  if (!ticket.state.sla) return;
  for (const due of collectSlaDue(ticket, now)) escalate(ticket, due, now);
  const sla = ticket.state.sla;
  const before = dues(sla);
  ticket.state.sla = change(sla);
  const after = dues(ticket.state.sla);
  if (before.firstResponseDue !== after.firstResponseDue || before.resolutionDue !== after.resolutionDue) {
    ticket.record(now, null, 'sla_recomputed', null, null, { reason, before, after });
  }
}

/** Starts the clocks on the ticket's current team and priority, or records why there are none. */
export function beginSla(ticket: TicketEntity, now: Date): void {
  const { state, config } = ticket;
  const policy = policyFor(config, state.departmentId, state.teamId, state.priority);
  const calendar = policy && calendarFor(config, state.teamId, policy);
  if (!policy || !calendar) {
    ticket.record(now, null, 'sla_not_applicable', null, null, { reason: 'no SLA policy or usable calendar for this team and priority' });
    state.sla = null;
    return;
  }
  state.sla = startSla(calendar, policy, state.status, now, state.slaNotices ? SLA_WARNING_PERCENT : undefined);
  ticket.record(now, null, 'sla_started', null, null, {
    policyId: policy.id,
    policyVersion: policy.version,
    calendar: calendar.twentyFourSeven ? '24x7' : `${(calendar as CalendarSnapshot).code ?? ''}@${(calendar as CalendarSnapshot).version ?? ''}`,
    firstResponseMinutes: policy.firstResponseMinutes,
    resolutionMinutes: policy.resolutionMinutes,
    ...dues(state.sla),
  });
}

export function slaOnStatus(ticket: TicketEntity, from: TicketStatus, to: TicketStatus, now: Date, reopened = false): void {
  if (from === to && !reopened) return;
  const reason = reopened ? `reopened (${from} → ${to})` : `status ${from} → ${to}`;
  changeSla(ticket, reason, now, (sla) => (reopened ? onReopen(sla, to, now) : onStatus(sla, to, now)));
}

export function slaOnFirstResponse(ticket: TicketEntity, now: Date): void {
  changeSla(ticket, 'first response sent', now, (sla) => onFirstResponse(sla, now));
}

/** New targets after a priority change or transfer; time already spent is kept. */
export function slaOnPolicyInputs(ticket: TicketEntity, reason: string, now: Date): void {
  const { state, config } = ticket;
  if (state.sla === undefined) return;
  if (state.sla === null) {
    // The ticket had no applicable SLA (e.g. a team without a calendar); it may have one now.
    if (policyFor(config, state.departmentId, state.teamId, state.priority)) beginSla(ticket, now);
    return;
  }
  const policy = policyFor(config, state.departmentId, state.teamId, state.priority);
  const current = state.sla.calendar as CalendarSnapshot;
  const teamCalendar = ticket.team()?.calendar;
  // A calendar an admin edited since the ticket started (signalled in) beats the start-time snapshot.
  const override = teamCalendar && current.code === teamCalendar.code && (current.version ?? 0) > teamCalendar.version ? current : undefined;
  const calendar = policy && calendarFor(config, state.teamId, policy, override);
  if (!policy || !calendar) {
    ticket.record(now, null, 'sla_not_applicable', null, null, { reason: `${reason}: no SLA policy or usable calendar; the previous targets stay` });
    return;
  }
  changeSla(ticket, reason, now, (sla) => onPolicyChange(sla, policy, calendar, state.status, now));
}

export function slaOnCalendarChange(ticket: TicketEntity, calendar: CalendarSnapshot, reason: string, now: Date): boolean {
  const current = ticket.state.sla?.calendar as CalendarSnapshot | undefined;
  if (!current || current.code !== calendar.code || (current.version ?? 0) >= calendar.version) return false;
  const policy = ticket.state.sla!.policy as SlaPolicySnapshot;
  const next = calendarFor(ticket.config, ticket.state.teamId, policy, calendar);
  if (!next) return false;
  changeSla(ticket, `calendar ${calendar.name}: ${reason}`, now, (sla) => onCalendarChange(sla, next, now));
  return true;
}

export function nextSlaWake(ticket: TicketEntity): number | null {
  const sla = ticket.state.sla;
  const next = sla ? nextDuePoint(sla) : undefined;
  return next ? next.at.getTime() : null;
}

export function higherPriority(priority: Priority): Priority | null {
  const index = PRIORITIES.indexOf(priority);
  return index > 0 ? PRIORITIES[index - 1]! : null;
}

export interface DueRung {
  step: number;
  rung: EscalationStep;
  policyId: number;
  dueAt: Date;
}

/**
 * Records every breach and returns the escalation rungs now due (each exactly once), with
 * the rung itself: a rung that bumps priority changes the policy, and the rest of the
 * batch must still run the ladder they were due on.
 */
export function collectSlaDue(ticket: TicketEntity, now: Date): DueRung[] {
  const sla = ticket.state.sla;
  if (!sla) return [];
  const { state, fired } = collectDue(sla, now);
  ticket.state.sla = state;
  const rungs: DueRung[] = [];
  for (const point of fired) {
    if (point.kind === 'breach') {
      ticket.record(now, null, 'sla_breached', null, null, { clock: point.clock, dueAt: point.at.toISOString() });
    } else if (point.kind === 'warning') {
      ticket.record(now, null, 'sla_warning', null, null, { clock: point.clock, warnAt: point.at.toISOString(), dueAt: point.dueAt.toISOString(), percent: sla.warnAtPercent });
    } else {
      rungs.push({ step: point.step, rung: sla.policy.ladder[point.step]!, policyId: sla.policy.id, dueAt: point.at });
    }
  }
  return rungs;
}

export function slaSummary(ticket: TicketEntity, now: Date) {
  const sla = ticket.state.sla;
  if (!sla) return null;
  return { firstResponse: summarise(sla, 'first_response', now), resolution: summarise(sla, 'resolution', now) };
}

export function slaBreached(ticket: TicketEntity): boolean {
  const sla = ticket.state.sla;
  return Boolean(sla && (sla.firstResponse.breachedAt !== null || sla.resolution.breachedAt !== null));
}

export { dues as slaDues };
