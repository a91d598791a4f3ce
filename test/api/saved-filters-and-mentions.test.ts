import crypto from 'node:crypto';
import { MAX_SAVED_FILTERS } from '../../api/routes/saved-filters';
import { startHarness, type Harness } from '../support/harness';

/** Saved team-backlog filters (per person) and the @mention suggestions of a ticket's composer. */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const save = (as: 'alex' | 'sam' | 'harper', name: string, filters: Record<string, unknown>) => h.request('POST', '/saved-filters', { as, body: { name, filters } });

describe('saved filters', () => {
  test('when a person saves filters, then they list them; the same name replaces; another person sees none of them and cannot delete them', async () => {
    const name = `P1s ${crypto.randomUUID().slice(0, 8)}`;
    const created = await save('alex', name, { scope: 'team', priority: ['critical'], status: ['new', 'assigned'] });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name, filters: { scope: 'team', priority: ['critical'], status: ['new', 'assigned'] } });

    const replaced = await save('alex', name, { scope: 'team', priority: ['high'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data.id).toBe(created.body.data.id);

    const mine = await h.request('GET', '/saved-filters', { as: 'alex' });
    expect(mine.body.data.filter((f: { name: string }) => f.name === name)).toEqual([expect.objectContaining({ filters: { scope: 'team', priority: ['high'] } })]);
    const theirs = await h.request('GET', '/saved-filters', { as: 'sam' });
    expect(theirs.body.data.map((f: { id: number }) => f.id)).not.toContain(created.body.data.id);

    expect((await h.request('DELETE', `/saved-filters/${created.body.data.id}`, { as: 'sam' })).status).toBe(404);
    expect((await h.request('DELETE', `/saved-filters/${created.body.data.id}`, { as: 'alex' })).status).toBe(200);
    expect((await h.request('DELETE', `/saved-filters/${created.body.data.id}`, { as: 'alex' })).status).toBe(404);
  });

  test('when the filters hold an unknown status, an unknown key or an empty name, then 400 naming each field and nothing is saved', async () => {
    const response = await h.request('POST', '/saved-filters', { as: 'sam', body: { name: ' ', filters: { status: ['sleeping'], colour: 'red' } } });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['filters.colour', 'filters.status.0', 'name']);
    expect((await h.request('GET', '/saved-filters', { as: 'sam' })).body.data.filter((f: { name: string }) => f.name.trim() === '')).toEqual([]);
  });

  test(`when a person already has ${MAX_SAVED_FILTERS} filters, then a new name is refused with 409 and an existing name still replaces`, async () => {
    const existing = (await h.request('GET', '/saved-filters', { as: 'harper' })).body.data.length as number;
    for (let i = existing; i < MAX_SAVED_FILTERS; i += 1) expect((await save('harper', `view ${i}`, { scope: 'team' })).status).toBe(201);
    const refused = await save('harper', 'one too many', { scope: 'team' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('LIMIT_REACHED');
    expect((await save('harper', `view ${MAX_SAVED_FILTERS - 1}`, { scope: 'mine' })).status).toBe(200);
  });
});

describe('mention suggestions', () => {
  test('when an agent types a name on a payroll ticket, then only people who may see it are offered, marked with whether they read internal notes', async () => {
    const payroll = await h.categoryId('hr-payroll');
    const raised = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Overtime missing', description: 'October', categoryId: payroll },
    });
    const number = raised.body.data.number as number;

    const hannah = await h.request('GET', `/tickets/${number}/mentionable?q=han`, { as: 'harper' });
    expect(hannah.status).toBe(200);
    expect(hannah.body.data).toEqual([expect.objectContaining({ id: await h.userId('hannah'), name: 'Hannah Head', internal: true })]);

    const emma = await h.request('GET', `/tickets/${number}/mentionable?q=emma`, { as: 'harper' });
    expect(emma.body.data).toEqual([expect.objectContaining({ id: await h.userId('emma'), internal: false })]);

    // Alex works IT tickets and may not open an HR payroll ticket: a mention would not reach him.
    expect((await h.request('GET', `/tickets/${number}/mentionable?q=alex`, { as: 'harper' })).body.data).toEqual([]);
    expect((await h.request('GET', `/tickets/${number}/mentionable?q=han`, { as: 'alex' })).status).toBe(404);
    expect((await h.request('GET', `/tickets/${number}/mentionable`, { as: 'harper' })).status).toBe(400);
  });
});

describe('teams', () => {
  test("when the teams are listed, then each carries its calendar's time zone", async () => {
    const teams = (await h.request('GET', '/teams', { as: 'emma' })).body.data as Array<{ code: string; timeZone: string | null }>;
    expect(teams.find((t) => t.code === 'people-ops')?.timeZone).toBe('Europe/Berlin');
    expect(teams.find((t) => t.code === 'facilities-ops')?.timeZone).toBe('America/New_York');
  });
});
