import { addBusinessMinutes, businessMillisBetween, nextWorkingInstant, type BusinessCalendar } from './business-time';
import type { Priority, TicketStatus } from './types';

/**
 * A ticket's two SLA clocks — first response and resolution — as plain data with pure
 * transitions. Time is business time on the owning team's calendar; a clock counts only
 * while the ticket is in a counting status and the clock has not stopped. Spent time is
 * kept across pauses, priority changes, transfers and reopen: only targets, calendars and
 * "now" change, never the past.
 */

export type SlaClockName = 'first_response' | 'resolution';

export type EscalationAction = 'notify_role' | 'assign_backup' | 'bump_priority' | 'page_oncall';

export interface EscalationStep {
  /** Business minutes of the clock's counted time at which the step runs. */
  afterMinutes: number;
  action: EscalationAction;
  /** Which clock the offset is measured on; seed 000's ladders escalate a missed first response. */
  clock?: SlaClockName;
  /** For notify_role: e.g. department_manager, team_lead, admin. */
  role?: string;
}

export interface SlaPolicy {
  id: number;
  version: number;
  priority: Priority;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  /** Statuses in which both clocks stand still. */
  pauseStatuses: TicketStatus[];
  ladder: EscalationStep[];
}

export interface PolicyProblem {
  field: string;
  message: string;
}

export function validatePolicy(policy: Omit<SlaPolicy, 'id' | 'version' | 'priority'>): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const positiveInteger = (value: number) => Number.isInteger(value) && value > 0;
  if (!positiveInteger(policy.firstResponseMinutes)) problems.push({ field: 'firstResponseMinutes', message: 'must be a positive whole number of minutes' });
  if (!positiveInteger(policy.resolutionMinutes)) problems.push({ field: 'resolutionMinutes', message: 'must be a positive whole number of minutes' });
  policy.ladder.forEach((step, index) => {
    if (!positiveInteger(step.afterMinutes)) problems.push({ field: `ladder.${index}.afterMinutes`, message: 'must be a positive whole number of minutes' });
    if (step.action === 'notify_role' && !step.role) problems.push({ field: `ladder.${index}.role`, message: 'is required to notify a role' });
  });
  return problems;
}

/** Statuses before work may start: the clocks have not begun (approval must end first). */
const NOT_STARTED: readonly TicketStatus[] = ['draft', 'pending_approval'];
const ENDED: readonly TicketStatus[] = ['closed', 'rejected', 'cancelled'];

interface ClockState {
  targetMinutes: number;
  /** Business milliseconds counted before `runningSince`. */
  spentMs: number;
  /** Epoch ms the clock last started counting, or null while it stands still. */
  runningSince: number | null;
  /** Epoch ms the clock stopped for good (first reply; resolution), or null. */
  stoppedAt: number | null;
  breachedAt: number | null;
  /** Epoch ms of the warning's due instant once it has fired (absent before warnings existed). */
  warnedAt?: number | null;
}

export interface SlaState {
  calendar: BusinessCalendar;
  policy: SlaPolicy;
  firstResponse: ClockState;
  resolution: ClockState;
  /**
   * Ladder rungs already run, as `policyId:index`: kept across policy changes so a
   * priority that goes up and down again never re-runs a rung of a ladder it came back to.
   */
  firedSteps: string[];
  /**
   * Share of a target after which the clock warns that the breach is near. Absent on
   * tickets started before warnings existed, whose timers must stay as they were.
   */
  warnAtPercent?: number;
}

function counts(status: TicketStatus, policy: SlaPolicy): boolean {
  return !NOT_STARTED.includes(status) && !ENDED.includes(status) && status !== 'resolved' && !policy.pauseStatuses.includes(status);
}

function newClock(targetMinutes: number): ClockState {
  return { targetMinutes, spentMs: 0, runningSince: null, stoppedAt: null, breachedAt: null };
}

/** Business milliseconds a clock has counted by `now`, exactly (the explanation's steps add up to this). */
export function clockSpentMs(state: SlaState, name: SlaClockName, now: Date): number {
  return spentMs(state, name === 'first_response' ? state.firstResponse : state.resolution, now.getTime());
}

function spentMs(state: SlaState, clock: ClockState, now: number): number {
  if (clock.runningSince === null) return clock.spentMs;
  return clock.spentMs + businessMillisBetween(state.calendar, new Date(clock.runningSince), new Date(Math.max(now, clock.runningSince)));
}

/**
 * Folds the running stretch into spentMs so targets or calendars can change without losing
 * it. A target already passed is stamped as breached at its real due instant, so a change
 * processed after the due time (a late reply, a pause) can never hide the breach.
 */
function settle(state: SlaState, clock: ClockState, now: number): ClockState {
  if (clock.runningSince === null) return clock;
  const settled = { ...clock, spentMs: spentMs(state, clock, now), runningSince: now };
  if (settled.breachedAt === null && settled.stoppedAt === null && settled.spentMs >= clock.targetMinutes * 60_000) {
    settled.breachedAt = instantAfter(state, clock, clock.targetMinutes) ?? now;
  }
  return settled;
}

function settleBoth(state: SlaState, now: number): SlaState {
  return { ...state, firstResponse: settle(state, state.firstResponse, now), resolution: settle(state, state.resolution, now) };
}

function run(clock: ClockState, shouldRun: boolean, now: number, state: SlaState): ClockState {
  if (clock.stoppedAt !== null) return clock;
  if (shouldRun && clock.runningSince === null) return { ...clock, runningSince: now };
  if (!shouldRun && clock.runningSince !== null) return { ...settle(state, clock, now), runningSince: null };
  return clock;
}

export function startSla(calendar: BusinessCalendar, policy: SlaPolicy, status: TicketStatus, now: Date, warnAtPercent?: number): SlaState {
  const state: SlaState = {
    calendar,
    policy,
    firstResponse: newClock(policy.firstResponseMinutes),
    resolution: newClock(policy.resolutionMinutes),
    firedSteps: [],
    ...(warnAtPercent !== undefined ? { warnAtPercent } : {}),
  };
  return onStatus(state, status, now);
}

/** The ticket moved to `status`: clocks start, pause, resume or stop accordingly. */
export function onStatus(state: SlaState, status: TicketStatus, now: Date): SlaState {
  const t = now.getTime();
  const shouldRun = counts(status, state.policy);
  let resolution = run(state.resolution, shouldRun, t, state);
  if (status === 'resolved' && resolution.stoppedAt === null) resolution = { ...settle(state, resolution, t), runningSince: null, stoppedAt: t };
  return { ...state, firstResponse: run(state.firstResponse, shouldRun, t, state), resolution };
}

/** A resolved ticket was reopened: resolution resumes with its spent time (it does not restart). */
export function onReopen(state: SlaState, status: TicketStatus, now: Date): SlaState {
  const reopened = { ...state, resolution: { ...state.resolution, stoppedAt: null } };
  return onStatus(reopened, status, now);
}

/** The first public reply by an agent stops the first-response clock for good. */
export function onFirstResponse(state: SlaState, now: Date): SlaState {
  if (state.firstResponse.stoppedAt !== null) return state;
  const t = now.getTime();
  return { ...state, firstResponse: { ...settle(state, state.firstResponse, t), runningSince: null, stoppedAt: t } };
}

/** New targets (priority change) or a new calendar and policy (transfer): spent time is kept. */
export function onPolicyChange(state: SlaState, policy: SlaPolicy, calendar: BusinessCalendar, status: TicketStatus, now: Date): SlaState {
  const settled = settleBoth(state, now.getTime());
  // A first response already sent was met or missed on the target of its day; it never runs again.
  const firstResponseTarget = settled.firstResponse.stoppedAt !== null ? settled.firstResponse.targetMinutes : policy.firstResponseMinutes;
  const changed: SlaState = {
    ...settled,
    calendar,
    policy,
    firstResponse: rearmWarning(settled, { ...settled.firstResponse, targetMinutes: firstResponseTarget }),
    resolution: rearmWarning(settled, { ...settled.resolution, targetMinutes: policy.resolutionMinutes }),
  };
  // The new policy may pause (or not) in the ticket's current status.
  return onStatus(changed, status, now);
}

/**
 * The clocks standing still (paused, not stopped) that have already counted their whole target
 * without being breached: their target shrank below it while they stood still (a priority
 * change, a transfer, a published policy). A standing clock has no due instant to wait for.
 */
export function pausedPastTarget(state: SlaState): SlaClockName[] {
  return (['first_response', 'resolution'] as const).filter((name) => {
    const clock = name === 'first_response' ? state.firstResponse : state.resolution;
    return clock.runningSince === null && clock.stoppedAt === null && clock.breachedAt === null && clock.spentMs >= clock.targetMinutes * 60_000;
  });
}

/** Marks these clocks breached at `now`: the instant their target fell below what they had counted. */
export function breachNow(state: SlaState, names: SlaClockName[], now: Date): SlaState {
  let next = state;
  for (const name of names) {
    const key = name === 'first_response' ? 'firstResponse' : 'resolution';
    next = { ...next, [key]: { ...next[key], breachedAt: now.getTime() } };
  }
  return next;
}

/** A longer target puts the warning back in the future: it may warn again when that comes. */
function rearmWarning(state: SlaState, clock: ClockState): ClockState {
  if (state.warnAtPercent === undefined || clock.warnedAt == null) return clock;
  return clock.spentMs < warningMinutes(state, clock) * 60_000 ? { ...clock, warnedAt: null } : clock;
}

function warningMinutes(state: SlaState, clock: ClockState): number {
  return (clock.targetMinutes * (state.warnAtPercent ?? 100)) / 100;
}

/** The same calendar with new holidays or hours: spent time so far is kept, due instants move. */
export function onCalendarChange(state: SlaState, calendar: BusinessCalendar, now: Date): SlaState {
  return { ...settleBoth(state, now.getTime()), calendar };
}

function instantAfter(state: SlaState, clock: ClockState, minutes: number): number | null {
  if (clock.stoppedAt !== null || clock.runningSince === null) return null;
  const remainingMs = minutes * 60_000 - clock.spentMs;
  if (remainingMs <= 0) return clock.runningSince;
  // Begin from the next working instant so a start on a weekend counts from Monday.
  const from = nextWorkingInstant(state.calendar, new Date(clock.runningSince));
  return addBusinessMinutes(state.calendar, from, remainingMs / 60_000).getTime();
}

export function dueAt(state: SlaState, name: SlaClockName): Date | null {
  const clock = name === 'first_response' ? state.firstResponse : state.resolution;
  const at = instantAfter(state, clock, clock.targetMinutes);
  return at === null ? null : new Date(at);
}

export function rungKey(state: SlaState, index: number): string {
  return `${state.policy.id}:${index}`;
}

export type SlaDuePoint =
  | { kind: 'breach'; clock: SlaClockName; at: Date }
  | { kind: 'warning'; clock: SlaClockName; at: Date; dueAt: Date }
  | { kind: 'escalation'; step: number; clock: SlaClockName; at: Date };

/** Every future point at which something must happen, earliest first. */
export function pendingDuePoints(state: SlaState): SlaDuePoint[] {
  const points: SlaDuePoint[] = [];
  for (const name of ['first_response', 'resolution'] as const) {
    const clock = name === 'first_response' ? state.firstResponse : state.resolution;
    const due = dueAt(state, name);
    if (due && clock.breachedAt === null) points.push({ kind: 'breach', clock: name, at: due });
    if (due && clock.breachedAt === null && state.warnAtPercent !== undefined && clock.warnedAt == null) {
      const at = instantAfter(state, clock, warningMinutes(state, clock));
      if (at !== null) points.push({ kind: 'warning', clock: name, at: new Date(at), dueAt: due });
    }
  }
  state.policy.ladder.forEach((step, index) => {
    if (state.firedSteps.includes(rungKey(state, index))) return;
    const name = step.clock ?? 'first_response';
    const clock = name === 'first_response' ? state.firstResponse : state.resolution;
    const at = instantAfter(state, clock, step.afterMinutes);
    if (at !== null) points.push({ kind: 'escalation', step: index, clock: name, at: new Date(at) });
  });
  const order = { breach: 0, escalation: 1, warning: 2 } as const;
  return points.sort((a, b) => a.at.getTime() - b.at.getTime() || order[a.kind] - order[b.kind]);
}

export function nextDuePoint(state: SlaState): SlaDuePoint | undefined {
  return pendingDuePoints(state)[0];
}

/** Records the points due at or before `now`; returns them with the new state. */
export function collectDue(state: SlaState, now: Date): { state: SlaState; fired: SlaDuePoint[] } {
  const due = pendingDuePoints(state).filter((p) => p.at.getTime() <= now.getTime());
  // A warning that comes due together with its breach says nothing the breach does not.
  const fired = due.filter((p) => p.kind !== 'warning' || !due.some((b) => b.kind === 'breach' && b.clock === p.clock));
  let next = state;
  for (const point of due) {
    const key = point.clock === 'first_response' ? 'firstResponse' : 'resolution';
    if (point.kind === 'breach') {
      next = { ...next, [key]: { ...next[key], breachedAt: point.at.getTime() } };
    } else if (point.kind === 'warning') {
      next = { ...next, [key]: { ...next[key], warnedAt: point.at.getTime() } };
    } else {
      next = { ...next, firedSteps: [...next.firedSteps, rungKey(state, point.step)] };
    }
  }
  return { state: next, fired };
}

export interface SlaSummary {
  clock: SlaClockName;
  targetMinutes: number;
  spentMinutes: number;
  remainingMinutes: number;
  dueAt: string | null;
  state: 'running' | 'paused' | 'not_started' | 'met' | 'breached';
  breachedAt: string | null;
}

/** What the portal and the live query show for one clock. */
export function summarise(state: SlaState, name: SlaClockName, now: Date): SlaSummary {
  const clock = name === 'first_response' ? state.firstResponse : state.resolution;
  const spent = spentMs(state, clock, now.getTime()) / 60_000;
  const due = dueAt(state, name);
  let status: SlaSummary['state'];
  if (clock.stoppedAt !== null) status = clock.breachedAt !== null && clock.breachedAt <= clock.stoppedAt ? 'breached' : 'met';
  else if (clock.breachedAt !== null) status = 'breached';
  else if (clock.runningSince !== null) status = 'running';
  else status = spent > 0 ? 'paused' : 'not_started';
  return {
    clock: name,
    targetMinutes: clock.targetMinutes,
    spentMinutes: Math.round(spent * 100) / 100,
    remainingMinutes: Math.round((clock.targetMinutes - spent) * 100) / 100,
    dueAt: due ? due.toISOString() : null,
    state: status,
    breachedAt: clock.breachedAt !== null ? new Date(clock.breachedAt).toISOString() : null,
  };
}
