import { isUsableCalendar, type BusinessCalendar } from './domain/business-time';
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
import { explainSla, markSla, type SlaExplanation } from './domain/sla-explain';
import { PRIORITIES, type CalendarSnapshot, type ConfigSnapshot, type Priority, type SlaPolicySnapshot, type TicketStatus } from './domain/types';
import { teamOf, type EventDraft, type TicketSnapshot } from './ticket-model';

/**
 * The ticket's SLA clocks as decisions: which policy and calendar apply, how each change
 * moves the clocks, what fell due. Nothing here writes the ticket; `TicketEntity` applies
 * what these functions return and records an event with its reason every time a due
 * instant moves, so "why did the due time move" always has an answer in the timeline.
 */

/** How far into a target the warning goes out: early enough to act, late enough to mean it. */
export const SLA_WARNING_PERCENT = 80;

/** A change to the clocks and the reason the timeline gives for it. */
export interface SlaChange {
  reason: string;
  change: (sla: SlaState) => SlaState;
}

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
export function calendarFor(ticket: TicketSnapshot, teamId: number | null, policy: SlaPolicySnapshot, override?: CalendarSnapshot): BusinessCalendar | undefined {
  const calendar = override ?? teamOf(ticket, teamId)?.calendar;
  if (!calendar) return undefined;
  const effective = policy.clock === '24x7' ? { ...calendar, twentyFourSeven: true } : calendar;
  return isUsableCalendar(effective) ? effective : undefined;
}

export function slaDues(sla: SlaState | null | undefined) {
  return {
    firstResponseDue: sla ? dueAt(sla, 'first_response')?.toISOString() ?? null : null,
    resolutionDue: sla ? dueAt(sla, 'resolution')?.toISOString() ?? null : null,
  };
}

/** The `sla_recomputed` event for a change that moved a due instant, or null when none moved. */
export function slaMoved(before: SlaState, after: SlaState, reason: string): EventDraft | null {
  const was = slaDues(before);
  const now = slaDues(after);
  if (was.firstResponseDue === now.firstResponseDue && was.resolutionDue === now.resolutionDue) return null;
  return { type: 'sla_recomputed', data: { reason, before: was, after: now } };
}

/** The clocks on the ticket's current team and priority, or null with the reason there are none. */
export function slaStart(ticket: TicketSnapshot, now: Date): { sla: SlaState | null; event: EventDraft } {
  const { state, config } = ticket;
  const policy = policyFor(config, state.departmentId, state.teamId, state.priority);
  const calendar = policy && calendarFor(ticket, state.teamId, policy);
  if (!policy || !calendar) return { sla: null, event: { type: 'sla_not_applicable', data: { reason: 'no SLA policy or usable calendar for this team and priority' } } };
  const sla = startSla(calendar, policy, state.status, now, state.slaNotices ? SLA_WARNING_PERCENT : undefined);
  return {
    sla,
    event: {
      type: 'sla_started',
      data: {
        policyId: policy.id,
        policyVersion: policy.version,
        calendar: calendar.twentyFourSeven ? '24x7' : `${(calendar as CalendarSnapshot).code ?? ''}@${(calendar as CalendarSnapshot).version ?? ''}`,
        firstResponseMinutes: policy.firstResponseMinutes,
        resolutionMinutes: policy.resolutionMinutes,
        ...slaDues(sla),
      },
    },
  };
}

/** A status change pauses, resumes or stops clocks; a reopen restarts resolution. */
export function slaOnStatus(from: TicketStatus, to: TicketStatus, now: Date, reopened = false): SlaChange | null {
  if (from === to && !reopened) return null;
  return {
    reason: reopened ? `reopened (${from} → ${to})` : `status ${from} → ${to}`,
    change: (sla) => (reopened ? onReopen(sla, to, now) : onStatus(sla, to, now)),
  };
}

export function slaOnFirstResponse(now: Date): SlaChange {
  return { reason: 'first response sent', change: (sla) => onFirstResponse(sla, now) };
}

export type PolicyInputsOutcome = { kind: 'unchanged' } | { kind: 'start' } | { kind: 'not_applicable'; event: EventDraft } | ({ kind: 'change' } & SlaChange);

/** New targets after a priority change or transfer; time already spent is kept. */
export function slaOnPolicyInputs(ticket: TicketSnapshot, reason: string, now: Date): PolicyInputsOutcome {
  const { state, config } = ticket;
  if (state.sla === undefined) return { kind: 'unchanged' };
  const policy = policyFor(config, state.departmentId, state.teamId, state.priority);
  if (state.sla === null) {
    // The ticket had no applicable SLA (e.g. a team without a calendar); it may have one now.
    return policy ? { kind: 'start' } : { kind: 'unchanged' };
  }
  const current = state.sla.calendar as CalendarSnapshot;
  const teamCalendar = teamOf(ticket)?.calendar;
  // A calendar an admin edited since the ticket started (signalled in) beats the start-time
  // snapshot. Runs that keep applied versions (state.calendars) find it as the team's own;
  // earlier runs took the clocks' calendar as it stood, a 24×7 flag of the old policy included.
  const override =
    state.calendars === undefined && teamCalendar && current.code === teamCalendar.code && (current.version ?? 0) > teamCalendar.version ? current : undefined;
  const calendar = policy && calendarFor(ticket, state.teamId, policy, override);
  if (!policy || !calendar) {
    return { kind: 'not_applicable', event: { type: 'sla_not_applicable', data: { reason: `${reason}: no SLA policy or usable calendar; the previous targets stay` } } };
  }
  // The status is read when the change applies: due rungs run first and may move it.
  return { kind: 'change', reason, change: (sla) => onPolicyChange(sla, policy, calendar, ticket.state.status, now) };
}

/** An admin's edit of the calendar the clocks count on; null when it is not theirs or not newer. */
export function slaOnCalendarChange(ticket: TicketSnapshot, calendar: CalendarSnapshot, reason: string, now: Date): SlaChange | null {
  const current = ticket.state.sla?.calendar as CalendarSnapshot | undefined;
  if (!current || current.code !== calendar.code || (current.version ?? 0) >= calendar.version) return null;
  const policy = ticket.state.sla!.policy as SlaPolicySnapshot;
  const next = calendarFor(ticket, ticket.state.teamId, policy, calendar);
  if (!next) return null;
  return { reason: `calendar ${calendar.name} v${current.version ?? '?'}→v${calendar.version}: ${reason}`, change: (sla) => onCalendarChange(sla, next, now) };
}

/**
 * A newer published version of the policy the clocks run on, applied by an admin to open
 * tickets: new targets, pause rule and ladder on the same calendar, time already spent kept.
 * Null when the ticket runs on another policy (or already on this version or a later one).
 */
export function slaOnPolicyVersion(ticket: TicketSnapshot, policy: SlaPolicySnapshot, reason: string, now: Date): SlaChange | null {
  const sla = ticket.state.sla;
  if (!sla || sla.policy.id !== policy.id || sla.policy.version >= policy.version) return null;
  // The calendar the clocks count on now (possibly a newer version applied earlier), without the 24×7 flag the old policy may have set.
  const { twentyFourSeven: _, ...current } = sla.calendar as CalendarSnapshot;
  const teamCalendar = teamOf(ticket)?.calendar;
  const override = !teamCalendar || (current.code === teamCalendar.code && (current.version ?? 0) > teamCalendar.version) ? current : undefined;
  const calendar = calendarFor(ticket, ticket.state.teamId, policy, override);
  if (!calendar) return null;
  return {
    reason: `policy #${policy.id} (${policy.priority}) v${sla.policy.version}→v${policy.version}: ${reason}`,
    change: (state) => onPolicyChange(state, policy, calendar, ticket.state.status, now),
  };
}

/** The next SLA due instant (the what-if replay sets its clock by it, as the workflow does). */
export function nextSlaWake(ticket: TicketSnapshot): number | null {
  return nextSlaDue(ticket)?.at ?? null;
}

/** What the next SLA due point is, in words for Temporal UI: "first-response breach", "escalation 2: notify department_manager". */
export function nextSlaDue(ticket: TicketSnapshot): { at: number; what: string } | null {
  const sla = ticket.state.sla;
  const next = sla ? nextDuePoint(sla) : undefined;
  if (!sla || !next) return null;
  const clock = next.clock === 'first_response' ? 'first-response' : 'resolution';
  if (next.kind === 'breach') return { at: next.at.getTime(), what: `${clock} breach` };
  if (next.kind === 'warning') return { at: next.at.getTime(), what: `${clock} warning (${sla.warnAtPercent}% of the target)` };
  const rung = sla.policy.ladder[next.step]!;
  return { at: next.at.getTime(), what: `escalation ${next.step + 1} on ${clock}: ${rung.action.replace(/_/g, ' ')}${rung.role ? ` ${rung.role.replace(/_/g, ' ')}` : ''}` };
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
 * What fell due by `now`: the clocks with those points marked fired, the breach and
 * warning events, and the escalation rungs now due (each exactly once), with the rung
 * itself: a rung that bumps priority changes the policy, and the rest of the batch must
 * still run the ladder they were due on.
 */
export function collectSlaDue(sla: SlaState, now: Date): { sla: SlaState; events: EventDraft[]; rungs: DueRung[] } {
  const { state, fired } = collectDue(sla, now);
  const events: EventDraft[] = [];
  const rungs: DueRung[] = [];
  for (const point of fired) {
    if (point.kind === 'breach') {
      events.push({ type: 'sla_breached', data: { clock: point.clock, dueAt: point.at.toISOString() } });
    } else if (point.kind === 'warning') {
      events.push({ type: 'sla_warning', data: { clock: point.clock, warnAt: point.at.toISOString(), dueAt: point.dueAt.toISOString(), percent: sla.warnAtPercent } });
    } else {
      rungs.push({ step: point.step, rung: sla.policy.ladder[point.step]!, policyId: sla.policy.id, dueAt: point.at });
    }
  }
  return { sla: state, events, rungs };
}

/** The deadline's explanation: every recorded change of the clocks, then the clocks as they stand at `now`. */
export function slaExplanation(ticket: TicketSnapshot, now: Date): SlaExplanation | null {
  const sla = ticket.state.sla;
  if (!sla) return null;
  return explainSla(ticket.state.slaSteps ?? [], markSla(sla, now, 'now'));
}

export function slaSummary(ticket: TicketSnapshot, now: Date) {
  const sla = ticket.state.sla;
  if (!sla) return null;
  return { firstResponse: summarise(sla, 'first_response', now), resolution: summarise(sla, 'resolution', now) };
}

export function slaBreached(ticket: TicketSnapshot): boolean {
  const sla = ticket.state.sla;
  return Boolean(sla && (sla.firstResponse.breachedAt !== null || sla.resolution.breachedAt !== null));
}
