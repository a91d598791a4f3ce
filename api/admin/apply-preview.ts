import type { Model } from 'sequelize';
import { openTicketsWhere } from '../../lib/db/open-tickets';
import type { Models } from '../../lib/db/models';
import type { BusinessCalendar } from '../../workflows/domain/business-time';
import { dueAt, onCalendarChange, onPolicyChange, type SlaClockName, type SlaPolicy, type SlaState, type SlaSummary } from '../../workflows/domain/sla-clock';
import type { TicketStatus } from '../../workflows/domain/types';
import type { WhereOptions } from 'sequelize';

/**
 * What "apply to open tickets" will move, before the admin confirms: each open ticket on an
 * older version, with its due instants now and after, computed with the same pure clock
 * module the workflows run (onPolicyChange / onCalendarChange, then dueAt). The clocks are
 * rebuilt from the read model's last projection of the ticket (spent time as of its last
 * change, running or not); the workflow itself recomputes from its exact state when told.
 */

export interface MovePreview {
  number: number;
  title: string;
  status: string;
  priority: string;
  fromVersion: number | null;
  firstResponseDue: { before: string | null; after: string | null };
  resolutionDue: { before: string | null; after: string | null };
  moves: boolean;
}

export interface ApplyPreview {
  toVersion: number;
  openTickets: number;
  moving: number;
  /** The first tickets (by number); counts cover all of them. */
  tickets: MovePreview[];
  truncated: boolean;
}

const LISTED = 200;
const NOT_COUNTING: readonly TicketStatus[] = ['draft', 'pending_approval', 'resolved', 'closed', 'rejected', 'cancelled'];

type Summary = Pick<SlaSummary, 'targetMinutes' | 'spentMinutes' | 'state' | 'breachedAt'> & { spentMs?: number };

/** The clocks as the ticket's last projection left them, under `policy` and `calendar`. */
export function clocksFromReadModel(row: Model, policy: SlaPolicy, calendar: BusinessCalendar): SlaState | null {
  const sla = row.get('sla') as { firstResponse?: Summary; resolution?: Summary } | null;
  if (!sla?.firstResponse || !sla.resolution) return null;
  const status = row.get('status') as TicketStatus;
  const at = new Date(row.get('updated_at') as string).getTime();
  const counting = !NOT_COUNTING.includes(status) && !policy.pauseStatuses.includes(status);
  const clock = (name: SlaClockName, summary: Summary): SlaState['firstResponse'] => {
    const stopped = summary.state === 'met' || (name === 'first_response' ? row.get('first_response_at') !== null : status === 'resolved');
    const running = !stopped && (summary.state === 'running' || (summary.state === 'breached' && counting));
    return {
      targetMinutes: summary.targetMinutes,
      spentMs: summary.spentMs ?? Math.round(summary.spentMinutes * 60_000),
      runningSince: running ? at : null,
      stoppedAt: stopped ? at : null,
      breachedAt: summary.breachedAt ? new Date(summary.breachedAt).getTime() : null,
    };
  };
  return { calendar, policy, firstResponse: clock('first_response', sla.firstResponse), resolution: clock('resolution', sla.resolution), firedSteps: [] };
}

export async function previewMoves(
  models: Models,
  where: WhereOptions,
  toVersion: number,
  versionColumn: string,
  recompute: (row: Model) => SlaState | null,
): Promise<ApplyPreview> {
  const rows = await models.Ticket.findAll({ where: openTicketsWhere(where, 0), order: [['number', 'ASC']] });
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const stored = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  const previews = rows.map((row): MovePreview => {
    const after = recompute(row);
    const before = { fr: stored(row.get('first_response_due')), res: stored(row.get('resolution_due')) };
    const next = after ? { fr: iso(dueAt(after, 'first_response')), res: iso(dueAt(after, 'resolution')) } : before;
    return {
      number: row.get('number') as number,
      title: row.get('title') as string,
      status: row.get('status') as string,
      priority: row.get('priority') as string,
      fromVersion: (row.get(versionColumn) as number | null) ?? null,
      firstResponseDue: { before: before.fr, after: next.fr },
      resolutionDue: { before: before.res, after: next.res },
      moves: before.fr !== next.fr || before.res !== next.res,
    };
  });
  return { toVersion, openTickets: previews.length, moving: previews.filter((p) => p.moves).length, tickets: previews.slice(0, LISTED), truncated: previews.length > LISTED };
}

/** A policy version's new clocks for one ticket, on the calendar it runs on. */
export function withPolicy(row: Model, oldPolicy: SlaPolicy, newPolicy: SlaPolicy & { clock?: string }, calendar: BusinessCalendar, now: Date): SlaState | null {
  const effective = newPolicy.clock === '24x7' ? { ...calendar, twentyFourSeven: true } : calendar;
  const clocks = clocksFromReadModel(row, oldPolicy, calendar);
  return clocks && onPolicyChange(clocks, newPolicy, effective, row.get('status') as TicketStatus, now);
}

export function withCalendar(row: Model, policy: SlaPolicy & { clock?: string }, oldCalendar: BusinessCalendar, newCalendar: BusinessCalendar, now: Date): SlaState | null {
  const as = (c: BusinessCalendar) => (policy.clock === '24x7' ? { ...c, twentyFourSeven: true } : c);
  const clocks = clocksFromReadModel(row, policy, as(oldCalendar));
  return clocks && onCalendarChange(clocks, as(newCalendar), now);
}
