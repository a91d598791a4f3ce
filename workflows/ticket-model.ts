import { TicketErrorType, type NotifyInput, type PageOnCallInput, type TicketState } from './definitions';
import { isUsableCalendar, type BusinessCalendar } from './domain/business-time';
import type { EscalationStep } from './domain/sla-clock';
import type { ConfigSnapshot, TeamSnapshot } from './domain/types';

/**
 * What the ticket's rule modules (SLA, escalation, approval, custom fields, presentation)
 * share with the entity without importing it: a read-only view of the ticket, the refusal
 * a validator throws, and the effects the entity queues. The modules read a snapshot and
 * return decisions; only `TicketEntity` writes state, records events and queues effects.
 */
export interface TicketSnapshot {
  readonly state: Readonly<TicketState>;
  readonly config: ConfigSnapshot;
}

/**
 * The team as the ticket knows it now: the start-time snapshot, with the members and leads of
 * the latest membership change signalled in since (so escalation to a backup, manual and
 * automatic assignment and transfers all decide from the current team, not the one at start),
 * and the latest version of its calendar an admin applied since.
 */
export function teamOf(ticket: TicketSnapshot, teamId: number | null = ticket.state.teamId): TeamSnapshot | undefined {
  const team = ticket.config.teams.find((t) => t.id === teamId);
  if (!team) return undefined;
  const current = ticket.state.teamMemberships?.find((m) => m.teamId === team.id);
  const applied = team.calendar && ticket.state.calendars?.find((c) => c.code === team.calendar!.code && c.version > team.calendar!.version);
  if (!current && !applied) return team;
  return {
    ...team,
    ...(current ? { memberIds: current.memberIds, leadIds: current.leadIds, version: current.version } : {}),
    ...(applied ? { calendar: applied } : {}),
  };
}

const AROUND_THE_CLOCK: BusinessCalendar = { timeZone: 'UTC', weeklyHours: {}, holidays: [], twentyFourSeven: true };

/** The owning team's calendar when it is usable, else around the clock (for auto-close and approval timers). */
export function usableCalendarOf(ticket: TicketSnapshot): BusinessCalendar {
  const calendar = teamOf(ticket)?.calendar;
  return calendar && isUsableCalendar(calendar) ? calendar : AROUND_THE_CLOCK;
}

/** A refused action: the validator throws it, so a refused update leaves no trace in history. */
export class ActionRefused extends Error {
  constructor(
    readonly type: TicketErrorType,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ActionRefused';
  }
}

const REFUSAL_TYPES = {
  ILLEGAL_TRANSITION: TicketErrorType.IllegalTransition,
  FORBIDDEN: TicketErrorType.Forbidden,
  VALIDATION_ERROR: TicketErrorType.InvalidInput,
  ILLEGAL: TicketErrorType.IllegalTransition,
  INVALID: TicketErrorType.InvalidInput,
  STALE: TicketErrorType.StaleVersion,
} as const;

export function refuse(code: keyof typeof REFUSAL_TYPES, message: string, field?: string): never {
  throw new ActionRefused(REFUSAL_TYPES[code], message, field);
}

/** Where an escalation effect came from, so its outcome is recorded against the rung. */
interface EscalationOrigin {
  escalationStep?: number;
  rung?: EscalationStep;
  dueAt?: string;
}

/** Side effects the workflow runs as activities once the change is projected, then records with their results. */
export type Effect = ({ kind: 'notify'; input: NotifyInput } | { kind: 'page'; input: PageOnCallInput }) & EscalationOrigin;

/** An event a module asks the entity to record (the entity stamps version, time and actor). */
export interface EventDraft {
  type: string;
  data: Record<string, unknown>;
}
