import { startHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

describe('people in the admin API', () => {
  test('only administrators reach it', async () => {
    expect((await h.request('GET', '/admin/people', { as: 'alex' })).status).toBe(403);
  });

  test('when a search holds a control character, then both people searches answer 400 naming q (found by fuzzing: a NUL broke the query)', async () => {
    for (const path of ['/admin/people?q=%00x', '/people?q=ab%00']) {
      const response = await h.request('GET', path, { as: 'ada' });
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual([expect.objectContaining({ field: 'q' })]);
    }
  });

  test('search finds a person by name or email; view shows teams, manager and department', async () => {
    const found = await h.request('GET', '/admin/people?q=mark', { as: 'ada' });
    expect(found.status).toBe(200);
    const mark = found.body.data.find((p: { email: string }) => p.email.startsWith('mark'));
    expect(mark).toBeDefined();
    const view = await h.request('GET', `/admin/people/${mark.id}`, { as: 'ada' });
    expect(view.body.data).toMatchObject({ id: mark.id, readOnlyFields: [], teams: [expect.objectContaining({ membership: 'lead' })] });
  });

  test('an edit needs the current version: a stale one is 409 and changes nothing; the edit is audited before and after', async () => {
    const emma = await h.userId('emma');
    const before = (await h.request('GET', `/admin/people/${emma}`, { as: 'ada' })).body.data;
    const edited = await h.request('PATCH', `/admin/people/${emma}`, { as: 'ada', body: { expectedVersion: before.version, vip: true, location: 'Lisbon' } });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ vip: true, location: 'Lisbon', version: before.version + 1 });
    const stale = await h.request('PATCH', `/admin/people/${emma}`, { as: 'ada', body: { expectedVersion: before.version, vip: false } });
    expect(stale.status).toBe(409);
    expect((await h.request('GET', `/admin/people/${emma}`, { as: 'ada' })).body.data.vip).toBe(true);
    const audit = await h.request('GET', `/admin/audit?entity=user&entityId=${emma}`, { as: 'ada' });
    expect(audit.body.data[0]).toMatchObject({ action: 'update', before: { vip: false }, after: { vip: true, location: 'Lisbon' } });
    const bad = await h.request('PATCH', `/admin/people/${emma}`, { as: 'ada', body: { expectedVersion: before.version + 1, managerId: 99999 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('managerId');
  });

  test('for a person the identity provider owns, the provided fields are read-only and say so; VIP stays editable', async () => {
    const sam = await h.userId('sam');
    await h.db.models.User.update({ scim_managed: true }, { where: { id: sam } });
    const view = (await h.request('GET', `/admin/people/${sam}`, { as: 'ada' })).body.data;
    expect(view.readOnlyFields).toEqual(expect.arrayContaining(['name', 'managerId', 'active']));
    const refused = await h.request('PATCH', `/admin/people/${sam}`, { as: 'ada', body: { expectedVersion: view.version, name: 'Samuel', vip: true } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ field: 'name', message: 'is owned by the identity provider (SCIM); change it there' }]);
    const vip = await h.request('PATCH', `/admin/people/${sam}`, { as: 'ada', body: { expectedVersion: view.version, vip: true } });
    expect(vip.status).toBe(200);
  });

  test('a CSV import creates and updates people row by row and answers each bad row with its own errors', async () => {
    const csv = [
      'email,name,title,department,manager_email,location,vip,roles',
      'csv.one@example.com,Csv One,Analyst,Finance,csv.two@example.com,Berlin,false,requester',
      'csv.two@example.com,Csv Two,Controller,FIN,mark@example.com,,yes,requester;manager',
      'not-an-email,Nobody,,,,,,',
      'csv.three@example.com,Csv Three,,Nowhere,,,maybe,wizard',
    ].join('\n');
    const response = await fetch(`${h.apiUrl}/admin/people/import`, { method: 'POST', headers: { authorization: `Bearer ${await h.token('ada')}`, 'content-type': 'text/csv' }, body: csv });
    expect(response.status).toBe(200);
    const result = ((await response.json()) as { data: { created: number; failed: number; rows: Array<{ row: number; outcome: string; errors: Array<{ field: string }> }> } }).data;
    expect(result).toMatchObject({ created: 2, failed: 2 });
    expect(result.rows[2]).toMatchObject({ row: 4, outcome: 'failed', errors: [{ field: 'email' }] });
    expect(result.rows[3]!.errors.map((e) => e.field).sort()).toEqual(['department', 'roles', 'vip']);
    const one = await h.db.models.User.findOne({ where: { email: 'csv.one@example.com' } });
    const two = await h.db.models.User.findOne({ where: { email: 'csv.two@example.com' } });
    expect(one!.get('manager_id')).toBe(two!.get('id'));
    expect(two!.get('roles')).toEqual(['requester', 'manager']);
    expect(await h.db.models.User.findOne({ where: { email: 'csv.three@example.com' } })).toBeNull();
  });
});
