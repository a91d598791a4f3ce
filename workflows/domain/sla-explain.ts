import { DateTime } from 'luxon';
import { clockSpentMs, summarise, type SlaClockName, type SlaState, type SlaSummary } from './sla-clock';

/**
 * Why a ticket's deadlines are where they are, with the arithmetic: every change of the
 * SLA clocks (start, pause, resume, priority change, transfer, a policy or calendar applied)
 * is a step carrying what each clock had counted at that instant, in exact business
 * milliseconds. The minutes counted during a step are the difference to the next step (or
 * to "now"), so the steps always add up to what the clock has actually spent — one record,
 * read by the workflow's Query, the API and the ticket page alike.
 */

export interface SlaClockMark {
  targetMinutes: number;
  /** Exact business milliseconds counted up to this step. */
  spentMs: number;
  dueAt: string | null;
  state: SlaSummary['state'];
}

/** One change of the clocks, as recorded (in the workflow state and in the event's data). */
export interface SlaStep {
  at: string;
  reason: string;
  policy: { id: number; version: number; priority: string };
  calendar: { id: number | null; name: string; version: number | null; timeZone: string; twentyFourSeven: boolean };
  firstResponse: SlaClockMark;
  resolution: SlaClockMark;
}

/** What the clocks are at `now`, labelled with the change that got them there. */
export function markSla(sla: SlaState, now: Date, reason: string): SlaStep {
  const calendar = sla.calendar as SlaState['calendar'] & { id?: number; name?: string; code?: string; version?: number };
  const mark = (name: SlaClockName): SlaClockMark => {
    const summary = summarise(sla, name, now);
    return { targetMinutes: summary.targetMinutes, spentMs: clockSpentMs(sla, name, now), dueAt: summary.dueAt, state: summary.state };
  };
  return {
    at: now.toISOString(),
    reason,
    policy: { id: sla.policy.id, version: sla.policy.version, priority: sla.policy.priority },
    calendar: {
      id: calendar.id ?? null,
      name: calendar.twentyFourSeven && !calendar.name ? '24×7' : (calendar.name ?? calendar.code ?? 'calendar'),
      version: calendar.version ?? null,
      timeZone: calendar.timeZone,
      twentyFourSeven: Boolean(calendar.twentyFourSeven),
    },
    firstResponse: mark('first_response'),
    resolution: mark('resolution'),
  };
}

export interface ExplainedClock {
  targetMinutes: number;
  dueAt: string | null;
  state: SlaSummary['state'];
  /** Business minutes spent when the step began, and left of the target then. */
  spentMinutes: number;
  remainingMinutes: number;
  /** Business minutes counted while this step lasted (until the next step, or now). */
  countedMinutes: number;
  countedMs: number;
}

export interface ExplainedStep {
  at: string;
  until: string;
  reason: string;
  policy: string;
  calendar: string;
  firstResponse: ExplainedClock;
  resolution: ExplainedClock;
  /** One line a person reads: "14:02–16:40 status in_progress → waiting_on_requester: resolution 0 business minutes counted; 30 spent, 90 left". */
  text: string;
}

export interface SlaExplanation {
  asOf: string;
  steps: ExplainedStep[];
  /** What each clock has spent by `asOf`: the sum of its steps' counted minutes. */
  firstResponse: { spentMinutes: number; spentMs: number; remainingMinutes: number; dueAt: string | null; state: SlaSummary['state'] };
  resolution: { spentMinutes: number; spentMs: number; remainingMinutes: number; dueAt: string | null; state: SlaSummary['state'] };
}

const minutes = (ms: number) => Math.round(ms / 600) / 100;

function clockLabel(name: SlaClockName): string {
  return name === 'first_response' ? 'first response' : 'resolution';
}

function policyLabel(step: SlaStep): string {
  return `policy #${step.policy.id} (${step.policy.priority}) v${step.policy.version}`;
}

function calendarLabel(step: SlaStep): string {
  if (step.calendar.twentyFourSeven) return `${step.calendar.name} (24×7)`;
  return step.calendar.version === null ? step.calendar.name : `${step.calendar.name} v${step.calendar.version}`;
}

/**
 * The steps as intervals: each from its change to the next change (the last to `current`,
 * the clocks as they stand now), with what each clock counted meanwhile. Steps recorded
 * before an older ticket's first marked step simply start from what was already spent.
 */
export function explainSla(steps: readonly SlaStep[], current: SlaStep): SlaExplanation {
  const zone = current.calendar.twentyFourSeven ? 'UTC' : current.calendar.timeZone;
  const time = (iso: string, withDate: boolean) => DateTime.fromISO(iso, { zone }).toFormat(withDate ? 'yyyy-MM-dd HH:mm' : 'HH:mm');
  const explained: ExplainedStep[] = steps.map((step, index) => {
    const next = steps[index + 1] ?? current;
    const clock = (name: 'firstResponse' | 'resolution'): ExplainedClock => {
      const mark = step[name];
      const countedMs = Math.max(0, next[name].spentMs - mark.spentMs);
      return {
        targetMinutes: mark.targetMinutes,
        dueAt: mark.dueAt,
        state: mark.state,
        spentMinutes: minutes(mark.spentMs),
        remainingMinutes: minutes(mark.targetMinutes * 60_000 - mark.spentMs),
        countedMinutes: minutes(countedMs),
        countedMs,
      };
    };
    const firstResponse = clock('firstResponse');
    const resolution = clock('resolution');
    const sameDay = step.at.slice(0, 10) === next.at.slice(0, 10);
    const span = `${time(step.at, true)}–${time(next.at, !sameDay)}`;
    const parts = (['first_response', 'resolution'] as const).map((name) => {
      const c = name === 'first_response' ? firstResponse : resolution;
      if (c.state === 'met') return `${clockLabel(name)} met`;
      const due = c.dueAt ? `, due ${time(c.dueAt, true)}` : '';
      return `${clockLabel(name)} ${c.state}: ${c.countedMinutes} business minutes counted; ${c.spentMinutes} spent, ${c.remainingMinutes} left of ${c.targetMinutes}${due}`;
    });
    const opening = index === 0 ? ` with ${policyLabel(step)} and calendar ${calendarLabel(step)}` : '';
    return {
      at: step.at,
      until: next.at,
      reason: step.reason,
      policy: policyLabel(step),
      calendar: calendarLabel(step),
      firstResponse,
      resolution,
      text: `${span} ${step.reason}${opening} — ${parts.join('; ')}`,
    };
  });
  // A ticket older than these records (or one whose oldest steps were dropped) counted time
  // before its first step: one line says so, so the steps still add up to the time spent.
  const first = steps[0] ?? current;
  if (first.firstResponse.spentMs > 0 || first.resolution.spentMs > 0) {
    const earlier = (name: 'firstResponse' | 'resolution'): ExplainedClock => ({
      targetMinutes: first[name].targetMinutes,
      dueAt: null,
      state: first[name].state,
      spentMinutes: 0,
      remainingMinutes: first[name].targetMinutes,
      countedMinutes: minutes(first[name].spentMs),
      countedMs: first[name].spentMs,
    });
    const firstResponse = earlier('firstResponse');
    const resolution = earlier('resolution');
    explained.unshift({
      at: '',
      until: first.at,
      reason: 'counted before itemised records',
      policy: policyLabel(first),
      calendar: calendarLabel(first),
      firstResponse,
      resolution,
      text: `until ${time(first.at, true)} counted before itemised records — first response ${firstResponse.countedMinutes}, resolution ${resolution.countedMinutes} business minutes`,
    });
  }
  const total = (name: 'firstResponse' | 'resolution') => ({
    spentMinutes: minutes(current[name].spentMs),
    spentMs: current[name].spentMs,
    remainingMinutes: minutes(current[name].targetMinutes * 60_000 - current[name].spentMs),
    dueAt: current[name].dueAt,
    state: current[name].state,
  });
  return { asOf: current.at, steps: explained, firstResponse: total('firstResponse'), resolution: total('resolution') };
}
