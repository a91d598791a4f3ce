import crypto from 'node:crypto';
import { DateTime } from 'luxon';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

let h: Harness;
let berlin: { id: number; version: number; name: string; timeZone: string; weeklyHours: Record<string, unknown>; holidays: Array<{ date: string; name: string }> };

beforeAll(async () => {
  h = await startHarness();
  const calendars = await h.request('GET', '/admin/calendars', { as: 'ada' });
  berlin = calendars.body.data.find((c: { code: string }) => c.code === 'eu-office');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

// Evaluated lazily: the table below is built before beforeAll has loaded the calendar.
const berlinHours = () => ({ mon: [{ start: '09:00', end: '17:00' }] });

const body = (overrides: Record<string, unknown> = {}) => ({
  name: berlin.name,
  timeZone: berlin.timeZone,
  weeklyHours: berlin.weeklyHours,
  holidays: berlin.holidays,
  version: berlin.version,
  ...overrides,
});

function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  return waitUntil(what, probe, done, { timeoutMs: 15_000 });
}

describe('calendar and SLA policy administration', () => {
  test('when someone who is not an admin edits a calendar, then 403 and nothing changes', async () => {
    const auditBefore = await h.db.models.AuditLog.count();
    const response = await h.request('PUT', `/admin/calendars/${berlin.id}`, { as: 'lee', body: body({ holidays: [...berlin.holidays, { date: '2031-01-02', name: 'Not allowed' }] }) });
    expect(response.status).toBe(403);
    const row = await h.db.models.BusinessCalendar.findByPk(berlin.id);
    expect(row!.get('version')).toBe(berlin.version);
    expect(JSON.stringify(row!.get('holidays'))).not.toContain('Not allowed');
    expect(await h.db.models.AuditLog.count()).toBe(auditBefore);
  });

  test.each([
    ['overlapping intervals', { weeklyHours: { mon: [{ start: '09:00', end: '13:00' }, { start: '12:00', end: '17:00' }] } }, ['weeklyHours.mon.1']],
    ['an unknown time zone', { timeZone: 'Europe/Atlantis' }, ['timeZone']],
    ['an interval that ends before it starts', { weeklyHours: { ...berlinHours(), tue: [{ start: '17:00', end: '09:00' }] } }, ['weeklyHours.tue.0']],
    ['an impossible holiday', { holidays: [{ date: '2026-02-30', name: 'Nope' }] }, ['holidays.0.date']],
    ['a malformed clock', { weeklyHours: { wed: [{ start: '9am', end: '17:00' }] } }, ['weeklyHours.wed.0.start']],
  ])('when a calendar with %s is submitted, then 400 names the field and nothing changes', async (_case, overrides, fields) => {
    const auditBefore = await h.db.models.AuditLog.count();
    const response = await h.request('PUT', `/admin/calendars/${berlin.id}`, { as: 'ada', body: body(overrides) });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
    expect((await h.db.models.BusinessCalendar.findByPk(berlin.id))!.get('version')).toBe(berlin.version);
    expect(await h.db.models.AuditLog.count()).toBe(auditBefore);
  });

  test('when an SLA policy has non-positive targets, then 400 names each field', async () => {
    const policies = await h.request('GET', '/admin/sla-policies', { as: 'ada' });
    const policy = policies.body.data[0];
    const response = await h.request('PUT', `/admin/sla-policies/${policy.id}`, {
      as: 'ada',
      body: { firstResponseMinutes: 0, resolutionMinutes: -60, clock: 'business', pauseStatuses: [], ladder: [{ afterMinutes: 0, action: 'notify_role' }], version: policy.version },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field)).toEqual(['firstResponseMinutes', 'resolutionMinutes', 'ladder.0.afterMinutes', 'ladder.0.role']);
  });

  test('when a holiday is added on the day a ticket is due, then the edit and the publish leave the open ticket alone until the admin applies it, which moves the due instant as previewed and records why', async () => {
    const catalog = await h.request('GET', '/catalog', { as: 'emma' });
    const categoryId = catalog.body.data.categories.find((c: { code: string }) => c.code === 'it-laptop').id;
    const created = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Docking station', description: 'For the new desk', categoryId, priority: 'low' },
    });
    const number = created.body.data.number as number;
    const before = created.body.data.resolutionDue as string;
    const dueDay = DateTime.fromISO(before, { zone: 'Europe/Berlin' }).toISODate()!;
    const recomputed = async () => {
      const events = await h.request('GET', `/tickets/${number}/events?limit=100`, { as: 'emma' });
      return events.body.data.filter((e: { type: string }) => e.type === 'sla_recomputed').map((e: { data: { reason: string } }) => e.data.reason) as string[];
    };

    const update = await h.request('PUT', `/admin/calendars/${berlin.id}`, {
      as: 'ada',
      body: body({ holidays: [...berlin.holidays, { date: dueDay, name: 'Works outing' }] }),
    });
    expect(update.status).toBe(200);
    expect(update.body.data.reason).toBe(`holiday added ${dueDay} (Works outing)`);
    expect(update.body.data.calendar.unpublishedChanges).toBe(true);
    const stale = await h.request('PUT', `/admin/calendars/${berlin.id}`, { as: 'ada', body: body() });
    expect(stale.status).toBe(409);

    const published = await h.request('POST', `/admin/calendars/${berlin.id}/publish`, { as: 'ada', body: { expectedVersion: berlin.version + 1, note: 'Works outing' } });
    expect(published.status).toBe(200);
    const toVersion = published.body.data.calendar.published.version as number;
    expect(toVersion).toBe(published.body.data.previousVersion + 1);
    expect(published.body.data.openTickets).toBeGreaterThanOrEqual(1);
    const audit = await h.request('GET', `/admin/audit?entity=business_calendar&entityId=${berlin.id}`, { as: 'ada' });
    expect(audit.body.data[0]).toMatchObject({ action: 'publish', actorId: await h.userId('ada'), before: { version: toVersion - 1 }, after: { version: toVersion, note: 'Works outing' } });
    expect(audit.body.data[1]).toMatchObject({ action: 'update', after: { version: berlin.version + 1 } });

    // Published, not applied: the open ticket keeps its calendar version and its due instant.
    const unasked = await h.request('GET', `/tickets/${number}`, { as: 'emma' });
    expect(unasked.body.data.resolutionDue).toBe(before);
    expect(await recomputed()).toEqual([]);

    const preview = await h.request('GET', `/admin/calendars/${berlin.id}/apply-preview`, { as: 'ada' });
    expect(preview.status).toBe(200);
    const mine = preview.body.data.tickets.find((t: { number: number }) => t.number === number);
    expect(mine).toMatchObject({ moves: true, resolutionDue: { before } });

    const applied = await h.request('POST', `/admin/calendars/${berlin.id}/apply-to-open`, { as: 'ada', body: {} });
    expect(applied.status).toBe(202);
    const fanOut = h.env.client.workflow.getHandle(applied.body.data.fanOut.workflowId);
    const told = await fanOut.result();
    expect(told.signalled).toBeGreaterThanOrEqual(1);
    const described = await fanOut.describe();
    expect(described.memo?.progress).toMatchObject({ done: true, signalled: told.signalled });
    expect(await described.staticSummary()).toContain('Berlin office hours');

    const moved = await until(
      () => h.request('GET', `/tickets/${number}`, { as: 'emma' }),
      (r) => r.body.data.resolutionDue !== before,
      'the ticket\'s resolution due date to move after the holiday was applied',
    );
    // The workflow recomputed from its exact clocks; the preview from the last projection: the same
    // instant (to the second: MariaDB's DATETIME keeps no milliseconds).
    expect(Math.abs(new Date(moved.body.data.resolutionDue).getTime() - new Date(mine.resolutionDue.after).getTime())).toBeLessThan(1000);
    expect(moved.body.data.sla).toMatchObject({ calendarId: berlin.id, calendarVersion: toVersion });
    const why = await recomputed();
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(new RegExp(`^calendar Berlin office hours v${toVersion - 1}→v${toVersion}: holiday added ${dueDay} \\(Works outing\\), applied to open tickets by Ada`));
    const appliedAudit = await h.request('GET', `/admin/audit?entity=business_calendar&entityId=${berlin.id}`, { as: 'ada' });
    expect(appliedAudit.body.data[0]).toMatchObject({ action: 'apply_to_open', after: { version: toVersion } });
  });
});
