import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { z } from 'zod';
import { publishedCalendars, publishedPolicies } from '../../lib/db/config-snapshot';
import type { Models } from '../../lib/db/models';
import { forReplay } from '../../lib/sla-what-if/for-replay';
import { applyDraft, breachChanges, csvRow, CSV_COLUMNS, draftTouches, UnknownDraftTarget, WhatIfTally, type BreachChange, type SlaDraft, type WhatIfSummary } from '../../lib/sla-what-if/compare';
import { replayTicket, type RecordedEvent, type RecordedTicket, type SlaConfig, type TicketReplay } from '../../lib/sla-what-if/replay';
import { validateCalendar, WEEKDAYS, type BusinessCalendar } from '../../workflows/domain/business-time';
import { validatePolicy } from '../../workflows/domain/sla-clock';
import { PRIORITIES, STATUSES, type CalendarSnapshot, type TeamSnapshot, type TicketStatus } from '../../workflows/domain/types';
import { validationError } from '../errors';

/**
 * "Preview impact" of an SLA policy, escalation ladder or business calendar draft: the
 * recorded tickets of a period replayed through today's configuration and through the
 * draft (lib/sla-what-if), read from the read tables in batches and answered as they go.
 */

const Step = z.strictObject({
  afterMinutes: z.number(),
  action: z.enum(['notify_role', 'assign_backup', 'bump_priority', 'page_oncall']),
  clock: z.enum(['first_response', 'resolution']).optional(),
  role: z.string().trim().min(1).max(48).optional(),
});
const Clock = z.string().regex(/^\d{2}:\d{2}$/, 'must be HH:MM');

export const WhatIfBody = z.strictObject({
  draft: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('policy'),
      policyId: z.number().int().positive(),
      policy: z.strictObject({
        firstResponseMinutes: z.number(),
        resolutionMinutes: z.number(),
        clock: z.enum(['business', '24x7']),
        pauseStatuses: z.array(z.enum(STATUSES)).max(STATUSES.length),
        ladder: z.array(Step).max(20),
      }),
    }),
    z.strictObject({ kind: z.literal('ladder'), policyId: z.number().int().positive(), ladder: z.array(Step).max(20) }),
    z.strictObject({
      kind: z.literal('calendar'),
      calendarId: z.number().int().positive(),
      calendar: z.strictObject({
        name: z.string().trim().min(1).max(120).optional(),
        timeZone: z.string().trim().min(1).max(64),
        weeklyHours: z.partialRecord(z.enum(WEEKDAYS), z.array(z.strictObject({ start: Clock, end: Clock })).max(8)),
        holidays: z.array(z.strictObject({ date: z.string(), name: z.string().trim().min(1).max(120) })).max(400),
      }),
    }),
  ]),
  /** The period's tickets are those created in [from, to); by default the last 90 days. */
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  teamId: z.number().int().positive().optional(),
  priority: z.enum(PRIORITIES).optional(),
});
export type WhatIfBody = z.infer<typeof WhatIfBody>;

export const WhatIfQuery = z.strictObject({ format: z.enum(['ndjson', 'csv']).default('ndjson') });

const DAY = 86_400_000;
/** Tickets replayed per batch: one query for their events, then a progress line. */
const BATCH = 500;

/** The draft's own problems, each naming its field under `draft.` (as the editors' fields are named). */
function draftProblems(draft: SlaDraft): Array<{ field: string; message: string }> {
  const prefix = (p: { field: string; message: string }[], at: string) => p.map((x) => ({ field: `draft.${at}${x.field}`, message: x.message }));
  switch (draft.kind) {
    case 'policy':
      return prefix(validatePolicy(draft.policy), 'policy.');
    case 'ladder':
      return prefix(validatePolicy({ firstResponseMinutes: 1, resolutionMinutes: 1, pauseStatuses: [], ladder: draft.ladder }), '');
    case 'calendar':
      return prefix(validateCalendar(draft.calendar as BusinessCalendar), 'calendar.');
  }
}

export interface WhatIfRequest {
  draft: SlaDraft;
  from: Date;
  to: Date;
  teamId?: number;
  priority?: string;
  now: Date;
}

export function whatIfRequest(body: WhatIfBody, now = new Date()): WhatIfRequest {
  const to = body.to ? new Date(body.to) : now;
  const from = body.from ? new Date(body.from) : new Date(to.getTime() - 90 * DAY);
  const problems = draftProblems(body.draft as SlaDraft);
  if (from.getTime() >= to.getTime()) problems.push({ field: 'from', message: 'must be before to' });
  if (to.getTime() - from.getTime() > 366 * DAY) problems.push({ field: 'from', message: 'the period may span at most 366 days' });
  if (problems.length > 0) throw validationError(problems, 'The what-if request is not usable');
  return { draft: body.draft as SlaDraft, from, to, teamId: body.teamId, priority: body.priority, now };
}

export type WhatIfLine =
  | { type: 'start'; tickets: number; from: string; to: string; now: string }
  | { type: 'progress'; done: number; total: number; summary: WhatIfSummary }
  | ({ type: 'breach' } & BreachChange)
  | { type: 'summary'; summary: WhatIfSummary };

export function createSlaWhatIf({ sequelize, models }: { sequelize: Sequelize; models: Models }) {
  /**
   * Today's configuration as new tickets' snapshots carry it: teams with calendars and leads,
   * and each policy and calendar as last published (a saved but unpublished draft is not
   * today's; it is what an admin previews against it).
   */
  async function todayConfig(): Promise<SlaConfig> {
    const [teams, members, calendars, policies] = await Promise.all([
      models.Team.findAll({ order: [['id', 'ASC']] }),
      models.TeamMember.findAll({ order: [['team_id', 'ASC'], ['user_id', 'ASC']] }),
      publishedCalendars(models),
      publishedPolicies(models),
    ]);
    const calendarById = new Map<number, CalendarSnapshot>(calendars.map((c) => [c.id, c]));
    return {
      teams: teams.map((t): TeamSnapshot => {
        const own = members.filter((m) => m.get('team_id') === t.get('id'));
        const calendar = calendarById.get(t.get('calendar_id') as number);
        return {
          id: t.get('id') as number,
          code: t.get('code') as string,
          name: t.get('name') as string,
          departmentId: t.get('department_id') as number,
          departmentCode: '',
          assignmentStrategy: t.get('assignment_strategy') as TeamSnapshot['assignmentStrategy'],
          memberIds: own.map((m) => m.get('user_id') as number),
          leadIds: own.filter((m) => m.get('membership') === 'lead').map((m) => m.get('user_id') as number),
          ...(calendar ? { calendar } : {}),
        };
      }),
      slaPolicies: policies,
    };
  }

  function ticketWhere(request: WhatIfRequest) {
    return {
      created_at: { [Op.gte]: request.from, [Op.lt]: request.to },
      ...(request.teamId ? { team_id: request.teamId } : {}),
      ...(request.priority ? { priority: request.priority } : {}),
    };
  }

  /** The period's tickets with their recorded events, `BATCH` at a time, by ticket number (keyset: no OFFSET scans). */
  async function* recordedTickets(request: WhatIfRequest): AsyncGenerator<RecordedTicket[]> {
    let after = 0;
    for (;;) {
      const rows = (await models.Ticket.findAll({
        where: { ...ticketWhere(request), number: { [Op.gt]: after } },
        attributes: ['number', 'requester_id'],
        order: [['number', 'ASC']],
        limit: BATCH,
        raw: true,
      })) as unknown as Array<{ number: number; requester_id: number }>;
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.number;
      const events = (await sequelize.query(
        // Messages' bodies and internal notes are not needed: only what moves the clocks.
        `SELECT ticket_number, seq, type, actor_id, from_status, to_status, data, occurred_at FROM ticket_events
         WHERE ticket_number IN (:numbers) AND type <> 'internal_note'
         ORDER BY ticket_number, seq`,
        { replacements: { numbers: rows.map((r) => r.number) }, type: QueryTypes.SELECT },
      )) as Array<{ ticket_number: number; seq: number; type: string; actor_id: number | null; from_status: string | null; to_status: string | null; data: unknown; occurred_at: string | Date }>;
      const byTicket = new Map<number, RecordedEvent[]>();
      for (const e of events) {
        const list = byTicket.get(e.ticket_number) ?? [];
        list.push({
          seq: e.seq,
          type: e.type,
          actorId: e.actor_id,
          fromStatus: e.from_status as TicketStatus | null,
          toStatus: e.to_status as TicketStatus | null,
          data: parseData(e.data, e.type),
          occurredAt: new Date(e.occurred_at),
        });
        byTicket.set(e.ticket_number, list);
      }
      yield rows.map((r) => ({ number: r.number, requesterId: r.requester_id, events: byTicket.get(r.number) ?? [] }));
    }
  }

  /** Replays a ticket on both configurations; one the draft cannot touch is replayed once. */
  async function replayer(request: WhatIfRequest): Promise<(ticket: RecordedTicket) => [TicketReplay, TicketReplay]> {
    const plain = await todayConfig();
    const today = forReplay(plain);
    const draft = forReplay(draftConfig(plain, request));
    return (ticket) => {
      const a = replayTicket(ticket, today, request.now);
      return [a, draftTouches(ticket, plain, request.draft) ? replayTicket(ticket, draft, request.now) : a];
    };
  }

  return {
    /**
     * Lines for the NDJSON answer: start, then per batch the tickets that gain or lose a
     * breach and a progress line with the running figures, then the summary.
     */
    async *lines(request: WhatIfRequest): AsyncGenerator<WhatIfLine> {
      const replay = await replayer(request);
      const total = await models.Ticket.count({ where: ticketWhere(request) });
      yield { type: 'start', tickets: total, from: request.from.toISOString(), to: request.to.toISOString(), now: request.now.toISOString() };
      const tally = new WhatIfTally();
      let done = 0;
      for await (const batch of recordedTickets(request)) {
        const changes: BreachChange[] = [];
        for (const ticket of batch) {
          const [today, draft] = replay(ticket);
          changes.push(...tally.add(today, draft));
        }
        for (const change of changes) yield { type: 'breach', ...change };
        done += batch.length;
        yield { type: 'progress', done, total, summary: tally.summary() };
      }
      yield { type: 'summary', summary: tally.summary() };
    },

    /** Rows for the CSV download: one per ticket, both sides. */
    async *csvPages(request: WhatIfRequest): AsyncGenerator<unknown[][]> {
      const replay = await replayer(request);
      for await (const batch of recordedTickets(request)) {
        yield batch.map((ticket) => {
          const [today, draft] = replay(ticket);
          return csvRow(today, draft, breachChanges(today, draft));
        });
      }
    },
    csvColumns: [...CSV_COLUMNS],
    async check(request: WhatIfRequest): Promise<void> {
      const today = await todayConfig();
      draftConfig(today, request);
      if (request.draft.kind === 'calendar' && !(await models.BusinessCalendar.findByPk(request.draft.calendarId))) {
        throw validationError([{ field: 'draft.calendarId', message: `there is no calendar ${request.draft.calendarId}` }]);
      }
    },
  };
}

function draftConfig(today: SlaConfig, request: WhatIfRequest): SlaConfig {
  try {
    return applyDraft(today, request.draft);
  } catch (err) {
    if (err instanceof UnknownDraftTarget) throw validationError([{ field: `draft.${err.field}`, message: err.message }]);
    throw err;
  }
}

/** SQLite hands JSON columns back as text through a raw query; MySQL/MariaDB may too. */
function parseData(value: unknown, type: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      throw new Error(`ticket event ${type} has unreadable data`);
    }
  }
  return value as Record<string, unknown>;
}
