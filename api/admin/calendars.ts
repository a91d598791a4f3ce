import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Op, type Model } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { calendarChangedSignal, ticketWorkflowId } from '../../workflows/definitions';
import { upcomingWorkingIntervals, validateCalendar, WEEKDAYS, type BusinessCalendar } from '../../workflows/domain/business-time';
import { TERMINAL_STATUSES, type CalendarSnapshot } from '../../workflows/domain/types';
import { ApiError, notFound, validationError } from '../errors';
import { audit } from './audit';

const Clock = z.string().regex(/^\d{2}:\d{2}$/, 'must be HH:MM');
export const CalendarBody = z.strictObject({
  name: z.string().trim().min(1).max(120),
  timeZone: z.string().trim().min(1).max(64),
  weeklyHours: z.partialRecord(z.enum(WEEKDAYS), z.array(z.strictObject({ start: Clock, end: Clock })).max(8)),
  holidays: z.array(z.strictObject({ date: z.string(), name: z.string().trim().min(1).max(120) })).max(400),
  version: z.number().int().min(1),
});
export type CalendarBody = z.infer<typeof CalendarBody>;

export function calendarSnapshotOf(row: Model): CalendarSnapshot {
  return {
    id: row.get('id') as number,
    code: row.get('code') as string,
    name: row.get('name') as string,
    version: row.get('version') as number,
    timeZone: row.get('time_zone') as string,
    weeklyHours: row.get('weekly_hours') as BusinessCalendar['weeklyHours'],
    holidays: row.get('holidays') as BusinessCalendar['holidays'],
  };
}

/** "holiday added 2026-12-07 (Company day)": the reason each ticket records when its due instants move. */
export function describeCalendarChange(before: CalendarSnapshot, after: CalendarSnapshot): string {
  const reasons: string[] = [];
  const had = new Set(before.holidays.map((h) => h.date));
  const has = new Set(after.holidays.map((h) => h.date));
  for (const h of after.holidays) if (!had.has(h.date)) reasons.push(`holiday added ${h.date} (${h.name})`);
  for (const h of before.holidays) if (!has.has(h.date)) reasons.push(`holiday removed ${h.date} (${h.name})`);
  if (JSON.stringify(before.weeklyHours) !== JSON.stringify(after.weeklyHours)) reasons.push('working hours changed');
  if (before.timeZone !== after.timeZone) reasons.push(`time zone ${before.timeZone} → ${after.timeZone}`);
  return reasons.join('; ') || 'calendar edited';
}

export function createCalendarAdmin({ models, client }: { models: Models; client: Client }) {
  /**
   * Tells every open ticket of the teams on this calendar; each recomputes its due instants
   * and records why. Returns how many were told and how many could not be (reported to the
   * admin, who can save again: the signal is idempotent per calendar version).
   */
  async function signalOpenTickets(calendar: CalendarSnapshot, reason: string): Promise<{ notified: number; failed: number[] }> {
    const teams = await models.Team.findAll({ where: { calendar_id: calendar.id }, attributes: ['id'] });
    const tickets = await models.Ticket.findAll({
      where: { team_id: { [Op.in]: teams.map((t) => t.get('id') as number) }, status: { [Op.notIn]: [...TERMINAL_STATUSES] } },
      attributes: ['number'],
    });
    // Bounded fan-out: a calendar shared by thousands of tickets must not open thousands of calls at once.
    const numbers = tickets.map((t) => t.get('number') as number);
    const failed: number[] = [];
    for (let i = 0; i < numbers.length; i += 20) {
      await Promise.all(
        numbers.slice(i, i + 20).map((n) =>
          client.workflow
            .getHandle(ticketWorkflowId(n))
            .signal(calendarChangedSignal, { calendar, reason })
            .catch((err: unknown) => {
              // A ticket that closed meanwhile has nothing to recompute; anything else is reported.
              if (!(err instanceof WorkflowNotFoundError)) failed.push(n);
            }),
        ),
      );
    }
    return { notified: numbers.length - failed.length, failed };
  }

  return {
    async list() {
      return (await models.BusinessCalendar.findAll({ order: [['id', 'ASC']] })).map(calendarSnapshotOf);
    },

    async preview(id: number, from: Date, count: number) {
      const row = await models.BusinessCalendar.findByPk(id);
      if (!row) throw notFound('Calendar');
      return upcomingWorkingIntervals(calendarSnapshotOf(row), from, count).map((i) => ({ start: i.start.toISOString(), end: i.end.toISOString() }));
    },

    async update(actor: UserProfile, id: number, body: CalendarBody) {
      const problems = validateCalendar({ timeZone: body.timeZone, weeklyHours: body.weeklyHours, holidays: body.holidays });
      if (problems.length > 0) throw validationError(problems, 'The calendar is not usable');
      const row = await models.BusinessCalendar.findByPk(id);
      if (!row) throw notFound('Calendar');
      const before = calendarSnapshotOf(row);
      const [updated] = await models.BusinessCalendar.update(
        { name: body.name, time_zone: body.timeZone, weekly_hours: body.weeklyHours, holidays: body.holidays, version: body.version + 1 },
        { where: { id, version: body.version } },
      );
      if (updated === 0) throw new ApiError(409, 'STALE_VERSION', `The calendar changed since version ${body.version}; reload it`, [{ field: 'version', message: 'is stale' }]);
      const after = calendarSnapshotOf((await models.BusinessCalendar.findByPk(id))!);
      await audit(models, actor, 'business_calendar', id, 'update', before, after);
      const reason = describeCalendarChange(before, after);
      const { notified, failed } = await signalOpenTickets(after, reason);
      return { calendar: after, reason, ticketsNotified: notified, ticketsNotNotified: failed };
    },
  };
}
