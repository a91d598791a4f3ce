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

  test('when a holiday is added on the day a ticket is due, then its due instant moves and the ticket records why', async () => {
    const catalog = await h.request('GET', '/catalog', { as: 'emma' });
    const categoryId = catalog.body.data.categories.find((c: { code: string }) => c.code === 'it-laptop').id;
    const created = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Docking station', description: 'For the new desk', categoryId, priority: 'low' },
    });
    const before = created.body.data.resolutionDue as string;
    const dueDay = DateTime.fromISO(before, { zone: 'Europe/Berlin' }).toISODate()!;

    const update = await h.request('PUT', `/admin/calendars/${berlin.id}`, {
      as: 'ada',
      body: body({ holidays: [...berlin.holidays, { date: dueDay, name: 'Works outing' }] }),
    });
    expect(update.status).toBe(200);
    expect(update.body.data.reason).toBe(`holiday added ${dueDay} (Works outing)`);
    // The request only starts the fan-out; a durable workflow tells the open tickets, with its progress in Temporal UI.
    const fanOut = h.env.client.workflow.getHandle(update.body.data.fanOut.workflowId);
    const told = await fanOut.result();
    expect(told.signalled).toBeGreaterThanOrEqual(1);
    const described = await fanOut.describe();
    expect(described.memo?.progress).toMatchObject({ done: true, signalled: told.signalled });
    expect(await described.staticSummary()).toContain('Berlin office hours');

    const moved = await until(
      () => h.request('GET', `/tickets/${created.body.data.number}`, { as: 'emma' }),
      (r) => r.body.data.resolutionDue !== before,
      'the ticket\'s resolution due date to move after the holiday was added',
    );
    expect(new Date(moved.body.data.resolutionDue).getTime()).toBeGreaterThan(new Date(before).getTime());
    const events = await h.request('GET', `/tickets/${created.body.data.number}/events?limit=100`, { as: 'emma' });
    const why = events.body.data.filter((e: { type: string }) => e.type === 'sla_recomputed').map((e: { data: { reason: string } }) => e.data.reason);
    expect(why).toContain(`calendar Berlin office hours: holiday added ${dueDay} (Works outing)`);

    const stale = await h.request('PUT', `/admin/calendars/${berlin.id}`, { as: 'ada', body: body() });
    expect(stale.status).toBe(409);
    const audit = await h.request('GET', '/admin/audit?entity=business_calendar', { as: 'ada' });
    expect(audit.body.data[0]).toMatchObject({ action: 'update', actorId: await h.userId('ada'), after: { version: berlin.version + 1 } });
  });
});
