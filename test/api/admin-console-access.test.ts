import { startHarness, type Harness } from '../support/harness';

/** Leads see the admin console read-only: they may read the set-up, never change it, and never read the audit log. */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

describe('the admin console for a lead', () => {
  test.each(['/admin/calendars', '/admin/sla-policies', '/admin/notification-templates', '/admin/departments', '/admin/teams', '/admin/categories', '/admin/routing-rules'])(
    'when Lee reads %s, then it answers 200',
    async (path) => {
      expect((await h.request('GET', path, { as: 'lee' })).status).toBe(200);
    },
  );

  test("when Lee previews a calendar's next working intervals, then it answers them", async () => {
    const calendars = await h.request('GET', '/admin/calendars', { as: 'lee' });
    const preview = await h.request('GET', `/admin/calendars/${calendars.body.data[0].id}/preview?count=3`, { as: 'lee' });
    expect(preview.status).toBe(200);
    expect(preview.body.data).toHaveLength(3);
  });

  test('when Lee tries to change a calendar or an SLA policy, then 403 and nothing changes', async () => {
    const [calendar] = (await h.request('GET', '/admin/calendars', { as: 'ada' })).body.data;
    const edit = await h.request('PUT', `/admin/calendars/${calendar.id}`, {
      as: 'lee',
      body: { name: 'Renamed by a lead', timeZone: calendar.timeZone, weeklyHours: calendar.weeklyHours, holidays: calendar.holidays, version: calendar.version },
    });
    expect(edit.status).toBe(403);
    const [after] = (await h.request('GET', '/admin/calendars', { as: 'ada' })).body.data;
    expect(after).toEqual(calendar);
    const [policy] = (await h.request('GET', '/admin/sla-policies', { as: 'ada' })).body.data;
    expect((await h.request('PUT', `/admin/sla-policies/${policy.id}`, { as: 'lee', body: {} })).status).toBe(403);
  });

  test('when Lee or an agent asks for the audit log, then 403, however the path is written; an agent may not read the calendars either', async () => {
    for (const path of ['/admin/audit', '/admin/AUDIT?limit=2', '/admin/Audit/', '/ADMIN/audit']) {
      const refused = await h.request('GET', path, { as: 'lee' });
      expect({ path, status: refused.status, entries: refused.body.data }).toEqual({ path, status: 403, entries: undefined });
    }
    expect((await h.request('GET', '/admin/calendars', { as: 'alex' })).status).toBe(403);
    expect((await h.request('GET', '/admin/audit', { as: 'ada' })).status).toBe(200);
  });

  // The preview names the open tickets an apply would move, whoever they belong to: it is the
  // administrator's, before applying. Lee reads the configuration only.
  test("when Lee asks which open tickets applying a calendar or a policy would move, then 403", async () => {
    const [calendar] = (await h.request('GET', '/admin/calendars', { as: 'ada' })).body.data;
    const [policy] = (await h.request('GET', '/admin/sla-policies', { as: 'ada' })).body.data;
    for (const path of [`/admin/calendars/${calendar.id}/apply-preview`, `/admin/sla-policies/${policy.id}/apply-preview`, `/admin/SLA-POLICIES/${policy.id}/Apply-Preview`]) {
      expect({ path, status: (await h.request('GET', path, { as: 'lee' })).status }).toEqual({ path, status: 403 });
      expect({ path, status: (await h.request('GET', path, { as: 'ada' })).status }).toEqual({ path, status: 200 });
    }
  });
});

describe('the audit log for the console', () => {
  test('when Ada renames a department, then the audit entry names her and the actor filter finds it', async () => {
    const [department] = (await h.request('GET', '/admin/departments', { as: 'ada' })).body.data;
    const edit = await h.request('PUT', `/admin/departments/${department.id}`, {
      as: 'ada',
      body: { name: `${department.name} (renamed)`, headUserId: department.headUserId, expectedVersion: department.version },
    });
    expect(edit.status).toBe(200);
    const me = (await h.request('GET', '/me', { as: 'ada' })).body.data;

    const log = await h.request('GET', `/admin/audit?entity=department&entityId=${department.id}&actorId=${me.id}`, { as: 'ada' });

    expect(log.status).toBe(200);
    expect(log.body.data[0]).toMatchObject({ actorId: me.id, actorName: 'Ada Admin', action: 'update', before: { name: department.name }, after: { name: `${department.name} (renamed)` } });
    const nobody = await h.request('GET', `/admin/audit?entity=department&entityId=${department.id}&actorId=999999`, { as: 'ada' });
    expect(nobody.body.data).toEqual([]);
  });
});
