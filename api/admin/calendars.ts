import type { Client } from '@temporalio/client';
import type { Model } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { calendarFanOutWorkflowId, type openTicketsFanOutWorkflow } from '../../workflows/fan-out';
import { upcomingWorkingIntervals, validateCalendar, WEEKDAYS, type BusinessCalendar } from '../../workflows/domain/business-time';
import type { CalendarSnapshot } from '../../workflows/domain/types';
import { onOlderCalendar } from '../../lib/db/open-tickets';
import { calendarContentOf, publishedPolicies, type CalendarContent } from '../../lib/db/config-snapshot';
import { ApiError, validationError } from '../errors';
import { previewMoves, withCalendar, type ApplyPreview } from './apply-preview';
import { audit } from './audit';
import { createPublishing, type Published } from './publishing';

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

/**
 * Business calendars: the row is the draft; publishing makes a new version that tickets
 * created afterwards count on. A calendar edit no longer reaches running tickets by itself:
 * the admin applies a published version to open tickets on purpose, and a durable fan-out
 * workflow (workflows/fan-out.ts) tells each ticket on an older version, in batches, retrying
 * until each is told, with its progress in Temporal UI.
 */
export function createCalendarAdmin({ models, client, taskQueue }: { models: Models; client: Client; taskQueue: string }) {
  const publishing = createPublishing<CalendarContent>(models, {
    model: models.BusinessCalendar,
    versions: models.BusinessCalendarVersion,
    ownerKey: 'calendar_id',
    entity: 'business_calendar',
    label: 'Calendar',
    contentOf: calendarContentOf,
  });

  const row = (id: number) => publishing.row(id);

  function snapshotAt(calendar: Model, published: Published<CalendarContent>): CalendarSnapshot {
    return { id: calendar.get('id') as number, code: calendar.get('code') as string, version: published.version, ...published.content };
  }

  function view(calendar: Model, published: Published<CalendarContent> | undefined) {
    return {
      ...calendarSnapshotOf(calendar),
      published: published ? { version: published.version, note: published.note, publishedBy: published.publishedBy, publishedAt: published.publishedAt } : null,
      unpublishedChanges: published ? publishing.unpublished(calendar, published) : false,
    };
  }

  async function preview(id: number): Promise<ApplyPreview & { reason: string }> {
    const calendar = await row(id);
    const versions = await publishing.all(id);
    const newest = versions[0] ?? (await publishing.newest(calendar));
    const older = versions[1] ?? newest;
    const policies = await publishedPolicies(models);
    const now = new Date();
    const result = await previewMoves(models, onOlderCalendar(id, newest.version), newest.version, 'sla_calendar_version', (ticket) => {
      const from = versions.find((v) => v.version === ticket.get('sla_calendar_version')) ?? older;
      const policy = policies.find((p) => p.id === ticket.get('sla_policy_id'));
      return policy ? withCalendar(ticket, policy, from.content, newest.content, now) : null;
    });
    return { ...result, reason: describeCalendarChange(snapshotAt(calendar, older), snapshotAt(calendar, newest)) };
  }

  return {
    async list() {
      const [rows, newest] = await Promise.all([models.BusinessCalendar.findAll({ order: [['id', 'ASC']] }), publishing.newestOfAll()]);
      return rows.map((r) => view(r, newest.get(r.get('id') as number) ?? publishing.asPublished(r)));
    },

    async preview(id: number, from: Date, count: number) {
      return upcomingWorkingIntervals(calendarSnapshotOf(await row(id)), from, count).map((i) => ({ start: i.start.toISOString(), end: i.end.toISOString() }));
    },

    /** Saves the draft: nothing changes for any ticket until it is published (and, for open tickets, applied). */
    async update(actor: UserProfile, id: number, body: CalendarBody) {
      const problems = validateCalendar({ timeZone: body.timeZone, weeklyHours: body.weeklyHours, holidays: body.holidays });
      if (problems.length > 0) throw validationError(problems, 'The calendar is not usable');
      const current = await row(id);
      // A calendar never published through the console is published as it stands before its first draft edit.
      const published = await publishing.newest(current);
      const before = calendarSnapshotOf(current);
      const [updated] = await models.BusinessCalendar.update(
        { name: body.name, time_zone: body.timeZone, weekly_hours: body.weeklyHours, holidays: body.holidays, version: body.version + 1 },
        { where: { id, version: body.version } },
      );
      if (updated === 0) throw new ApiError(409, 'STALE_VERSION', `The calendar changed since version ${body.version}; reload it`, [{ field: 'version', message: 'is stale' }]);
      const saved = await row(id);
      const after = calendarSnapshotOf(saved);
      await audit(models, actor, 'business_calendar', id, 'update', before, after);
      // What publishing this draft would change, against the version tickets start with now.
      const reason = describeCalendarChange(snapshotAt(saved, published), after);
      return { calendar: view(saved, published), reason };
    },

    async versions(id: number) {
      await row(id);
      return (await publishing.all(id)).map((p) => ({ version: p.version, note: p.note, publishedBy: p.publishedBy, publishedAt: p.publishedAt, ...p.content }));
    },

    /** A separate, audited step: new tickets count on the published version; open tickets keep theirs. */
    async publish(actor: UserProfile, id: number, body: { expectedVersion: number; note?: string }) {
      const { previous, published } = await publishing.publish(actor, id, body.expectedVersion, body.note);
      const saved = await row(id);
      return {
        calendar: view(saved, published),
        previousVersion: previous.version,
        reason: describeCalendarChange(snapshotAt(saved, previous), snapshotAt(saved, published)),
        openTickets: (await preview(id)).openTickets,
      };
    },

    applyPreview: preview,

    /** Starts the durable fan-out that applies the newest version to open tickets on older ones; audited. */
    async applyToOpen(actor: UserProfile, id: number, body: { note?: string }) {
      const calendar = await row(id);
      const newest = await publishing.newest(calendar);
      const { reason: changes, openTickets, moving } = await preview(id);
      const reason = `${changes}${body.note ? ` (${body.note})` : ''}, applied to open tickets by ${actor.name}`;
      const snapshot = snapshotAt(calendar, newest);
      const workflowId = calendarFanOutWorkflowId(id, newest.version);
      await client.workflow.start<typeof openTicketsFanOutWorkflow>('openTicketsFanOutWorkflow', {
        workflowId,
        taskQueue,
        args: [{ change: { kind: 'calendar', calendar: snapshot }, reason }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Calendar ${snapshot.name} v${snapshot.version} to its open tickets`.slice(0, 200),
        staticDetails: `Reason: ${reason}`,
      });
      await audit(models, actor, 'business_calendar', id, 'apply_to_open', null, { version: newest.version, reason, workflowId, openTickets, moving });
      return { version: newest.version, reason, openTickets, moving, fanOut: { workflowId } };
    },
  };
}
