import type { BusinessCalendar } from '../../workflows/domain/business-time';
import type { EscalationStep, SlaClockName } from '../../workflows/domain/sla-clock';
import type { CalendarSnapshot, SlaPolicySnapshot } from '../../workflows/domain/types';
import type { ClockReplay, RecordedTicket, SlaConfig, TicketReplay } from './replay';

/**
 * What an admin is about to change, and the figures that compare today's configuration
 * with the draft over the same recorded tickets. Pure: the API feeds it replays in batches
 * and streams what it says.
 */

export type SlaDraft =
  | { kind: 'policy'; policyId: number; policy: Pick<SlaPolicySnapshot, 'firstResponseMinutes' | 'resolutionMinutes' | 'clock' | 'pauseStatuses' | 'ladder'> }
  | { kind: 'ladder'; policyId: number; ladder: EscalationStep[] }
  | { kind: 'calendar'; calendarId: number; calendar: Pick<BusinessCalendar, 'timeZone' | 'weeklyHours' | 'holidays'> & { name?: string } };

export class UnknownDraftTarget extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'UnknownDraftTarget';
  }
}

/** Today's configuration with the draft in place of what it edits. */
export function applyDraft(today: SlaConfig, draft: SlaDraft): SlaConfig {
  const policies = today.slaPolicies ?? [];
  switch (draft.kind) {
    case 'policy':
    case 'ladder': {
      if (!policies.some((p) => p.id === draft.policyId)) throw new UnknownDraftTarget('policyId', `There is no SLA policy ${draft.policyId}`);
      const edit = draft.kind === 'policy' ? draft.policy : { ladder: draft.ladder };
      return { ...today, slaPolicies: policies.map((p) => (p.id === draft.policyId ? { ...p, ...edit, version: p.version + 1 } : p)) };
    }
    case 'calendar': {
      // A calendar no team uses changes nothing: the figures then say so (no change) rather than refuse.
      return {
        ...today,
        teams: today.teams.map((t) => {
          if (t.calendar?.id !== draft.calendarId) return t;
          const calendar: CalendarSnapshot = { ...t.calendar, ...draft.calendar, name: draft.calendar.name ?? t.calendar.name, version: t.calendar.version + 1 };
          return { ...t, calendar };
        }),
      };
    }
  }
}

export interface ClockFigures {
  met: number;
  breached: number;
  open: number;
  /** Percentage met of decided (met + breached), as the reports compute it; null when nothing was decided. */
  compliance: number | null;
  medianMinutesToDue: number | null;
}

export interface SideFigures {
  /** Tickets with an SLA under this configuration. */
  tickets: number;
  firstResponse: ClockFigures;
  resolution: ClockFigures;
  escalations: number;
  escalationsByAction: Record<string, number>;
}

export interface BreachChange {
  number: number;
  clock: SlaClockName;
  change: 'gained' | 'lost';
  todayDueAt: string | null;
  draftDueAt: string | null;
}

export interface WhatIfSummary {
  tickets: number;
  today: SideFigures;
  draft: SideFigures;
  breachesGained: number;
  breachesLost: number;
  /** Draft minus today, in wall-clock minutes; null when either side has no due instants. */
  medianMinutesToDueChange: Record<SlaClockName, number | null>;
  escalationsChange: number;
}

/** Percentage met of decided, rounded to a tenth: the reports' formula (web reports.ts `compliance`). */
export function compliance(met: number, breached: number): number | null {
  const decided = met + breached;
  return decided === 0 ? null : Math.round((met / decided) * 1000) / 10;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(value * 100) / 100;
}

class Side {
  tickets = 0;
  escalations = 0;
  byAction: Record<string, number> = {};
  clocks = {
    first_response: { met: 0, breached: 0, open: 0, toDue: [] as number[] },
    resolution: { met: 0, breached: 0, open: 0, toDue: [] as number[] },
  };

  add(replay: TicketReplay): void {
    if (!replay.applicable) return;
    this.tickets += 1;
    this.count('first_response', replay.firstResponse);
    this.count('resolution', replay.resolution);
    for (const e of replay.escalations) {
      this.escalations += 1;
      this.byAction[e.action] = (this.byAction[e.action] ?? 0) + 1;
    }
  }

  private count(name: SlaClockName, clock: ClockReplay | null): void {
    if (!clock) return;
    const tally = this.clocks[name];
    tally[clock.outcome] += 1;
    if (clock.minutesToDue !== null) tally.toDue.push(clock.minutesToDue);
  }

  figures(): SideFigures {
    const of = (name: SlaClockName): ClockFigures => {
      const t = this.clocks[name];
      return { met: t.met, breached: t.breached, open: t.open, compliance: compliance(t.met, t.breached), medianMinutesToDue: median(t.toDue) };
    };
    return { tickets: this.tickets, firstResponse: of('first_response'), resolution: of('resolution'), escalations: this.escalations, escalationsByAction: { ...this.byAction } };
  }
}

const breached = (clock: ClockReplay | null | undefined) => clock?.outcome === 'breached';

/** The breaches a ticket gains or loses under the draft, clock by clock. */
export function breachChanges(today: TicketReplay, draft: TicketReplay): BreachChange[] {
  const changes: BreachChange[] = [];
  for (const [name, key] of [['first_response', 'firstResponse'], ['resolution', 'resolution']] as const) {
    const was = breached(today[key]);
    const will = breached(draft[key]);
    if (was === will) continue;
    changes.push({ number: today.number, clock: name, change: will ? 'gained' : 'lost', todayDueAt: today[key]?.dueAt ?? null, draftDueAt: draft[key]?.dueAt ?? null });
  }
  return changes;
}

/** Running totals over ticket pairs (today, draft); `summary()` may be read at any point for progress. */
export class WhatIfTally {
  private readonly today = new Side();
  private readonly draft = new Side();
  private count = 0;
  private gained = 0;
  private lost = 0;

  add(today: TicketReplay, draft: TicketReplay): BreachChange[] {
    this.count += 1;
    this.today.add(today);
    this.draft.add(draft);
    const changes = breachChanges(today, draft);
    for (const c of changes) {
      if (c.change === 'gained') this.gained += 1;
      else this.lost += 1;
    }
    return changes;
  }

  summary(): WhatIfSummary {
    const today = this.today.figures();
    const draft = this.draft.figures();
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((b - a) * 100) / 100);
    return {
      tickets: this.count,
      today,
      draft,
      breachesGained: this.gained,
      breachesLost: this.lost,
      medianMinutesToDueChange: {
        first_response: diff(today.firstResponse.medianMinutesToDue, draft.firstResponse.medianMinutesToDue),
        resolution: diff(today.resolution.medianMinutesToDue, draft.resolution.medianMinutesToDue),
      },
      escalationsChange: draft.escalations - today.escalations,
    };
  }
}

/** One CSV row per ticket: both sides' outcomes and due instants, so a spreadsheet can redo every figure. */
export const CSV_COLUMNS = [
  'ticket',
  'team_id',
  'priority',
  'today_first_response',
  'draft_first_response',
  'today_first_response_due',
  'draft_first_response_due',
  'today_resolution',
  'draft_resolution',
  'today_resolution_due',
  'draft_resolution_due',
  'today_escalations',
  'draft_escalations',
  'change',
] as const;

export function csvRow(today: TicketReplay, draft: TicketReplay, changes: BreachChange[]): unknown[] {
  const outcome = (r: TicketReplay, clock: ClockReplay | null) => (r.applicable ? clock?.outcome ?? '' : 'no_sla');
  return [
    today.number,
    today.teamId,
    today.priority,
    outcome(today, today.firstResponse),
    outcome(draft, draft.firstResponse),
    today.firstResponse?.dueAt ?? '',
    draft.firstResponse?.dueAt ?? '',
    outcome(today, today.resolution),
    outcome(draft, draft.resolution),
    today.resolution?.dueAt ?? '',
    draft.resolution?.dueAt ?? '',
    today.escalations.map((e) => `${e.action}@${e.at}`).join(' '),
    draft.escalations.map((e) => `${e.action}@${e.at}`).join(' '),
    changes.map((c) => `${c.clock} breach ${c.change}`).join('; '),
  ];
}

/**
 * Whether the draft can change anything for this ticket: a ticket never owned by a team the
 * edited policy or calendar applies to replays identically, so its draft replay is skipped.
 * Conservative: a team that might use the policy counts, whatever the priorities.
 */
export function draftTouches(ticket: RecordedTicket, today: SlaConfig, draft: SlaDraft): boolean {
  const teamIds = new Set<number>();
  for (const e of ticket.events) if ((e.type === 'routed' || e.type === 'transfer') && typeof e.data.teamId === 'number') teamIds.add(e.data.teamId);
  const teams = today.teams.filter((t) => teamIds.has(t.id));
  if (draft.kind === 'calendar') return teams.some((t) => t.calendar?.id === draft.calendarId);
  const policy = (today.slaPolicies ?? []).find((p) => p.id === draft.policyId);
  if (!policy) return true;
  return teams.some((t) => (policy.teamId !== null ? t.id === policy.teamId : t.departmentId === policy.departmentId));
}
