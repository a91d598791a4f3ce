import type { Client } from '@temporalio/client';
import type { Model } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { calendarFanOutWorkflowId, type openTicketsFanOutWorkflow } from '../../workflows/fan-out';
import { upcomingWorkingIntervals, validateCalendar, WEEKDAYS, type BusinessCalendar } from '../../workflows/domain/business-time';
import type { CalendarSnapshot } from '../../workflows/domain/types';
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

export function createCalendarAdmin({ models, client, taskQueue }: { models: Models; client: Client; taskQueue: string }) {
  /**
   * Open tickets learn of the edit through a durable fan-out workflow (workflows/fan-out.ts),
   * not inside this request: the admin gets the answer at once, and the workflow signals
   * every open ticket in batches, retrying until each is told, with its progress in Temporal UI.
   */
  async function startFanOut(calendar: CalendarSnapshot, reason: string): Promise<{ workflowId: string }> {
    const workflowId = calendarFanOutWorkflowId(calendar.id, calendar.version);
    await client.workflow.start<typeof openTicketsFanOutWorkflow>('openTicketsFanOutWorkflow', {
      workflowId,
      taskQueue,
      args: [{ change: { kind: 'calendar', calendar }, reason }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Calendar ${calendar.name} v${calendar.version} to its open tickets`.slice(0, 200),
      staticDetails: `Reason: ${reason}`,
    });
    return { workflowId };
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
      const fanOut = await startFanOut(after, reason);
      return { calendar: after, reason, fanOut };
    },
  };
}
