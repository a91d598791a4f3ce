import crypto from 'node:crypto';
import { startHarness, type Harness } from '../support/harness';

/**
 * Custom fields end to end: an admin declares a schema of every type, a requester fills it,
 * staff edit it through the workflow (an Update the timeline records), lists filter on it.
 */
let h: Harness;
let categoryId: number;
let harperId: number;

const FIELDS = [
  { key: 'summary', label: 'Summary', type: 'text', required: true, min: 3, max: 40 },
  { key: 'seats', label: 'Seats', type: 'number', required: false, min: 1, max: 500 },
  { key: 'budget', label: 'Budget', type: 'money', required: false, min: 0, max: 10000 },
  { key: 'needed_by', label: 'Needed by', type: 'date', required: false, min: '2026-01-01', max: '2027-12-31' },
  { key: 'venue', label: 'Venue', type: 'select', required: false, options: ['Berlin', 'Lisbon'] },
  { key: 'extras', label: 'Extras', type: 'multiselect', required: false, options: ['catering', 'projector', 'parking'] },
  { key: 'host', label: 'Host', type: 'user', required: false },
];

beforeAll(async () => {
  h = await startHarness();
  harperId = await h.userId('harper');
  const hr = (await h.db.models.Department.findOne({ where: { code: 'HR' } }))!.get('id') as number;
  const team = (await h.db.models.Team.findOne({ where: { code: 'people-ops' } }))!.get('id') as number;
  const created = await h.request('POST', '/admin/categories', {
    as: 'ada',
    body: { code: 'hr-offsite', name: 'Team offsite', departmentId: hr, defaultTeamId: team, fields: FIELDS },
  });
  expect(created.status).toBe(201);
  categoryId = created.body.data.id;
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function raise(customFields: Record<string, unknown>, as: 'emma' | 'priya' = 'emma') {
  const response = await h.request('POST', '/tickets', {
    as,
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Offsite planning', description: 'Two days in spring', categoryId, customFields },
  });
  expect(response.status).toBe(201);
  return response.body.data as { number: number; version: number; customFields: Record<string, unknown> };
}

const patch = (number: number, as: 'emma' | 'harper' | 'priya' | 'alex', customFields: Record<string, unknown>, expectedVersion: number) =>
  h.request('PATCH', `/tickets/${number}/custom-fields`, { as, body: { customFields, expectedVersion } });

describe('custom fields on create and in detail', () => {
  test('when a requester fills every type, then detail lists the values in schema order with labels and the host named', async () => {
    const ticket = await raise({ summary: ' Spring offsite ', seats: 12, budget: 2500.5, needed_by: '2026-04-01', venue: 'Lisbon', extras: ['catering'], host: harperId });
    const detail = await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' });
    expect(detail.body.data.customFields.summary).toBe('Spring offsite');
    expect(detail.body.data.customFieldList.map((f: { label: string }) => f.label)).toEqual(['Summary', 'Seats', 'Budget', 'Needed by', 'Venue', 'Extras', 'Host']);
    expect(detail.body.data.customFieldList.at(-1)).toEqual({ key: 'host', label: 'Host', type: 'user', value: harperId, display: 'Harper Hughes' });
  });

  test('when a user field names nobody in the directory, then creation is refused naming it', async () => {
    const response = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Offsite planning', description: 'x', categoryId, customFields: { summary: 'Fine text', host: 999999 } },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field: 'customFields.host', message: 'Host must be an active person in the directory' }]);
  });
});

describe('editing custom fields through the workflow', () => {
  test('when an agent of the team edits, then the timeline records before and after and the read model follows', async () => {
    const ticket = await raise({ summary: 'Offsite', seats: 10, extras: ['catering'] });
    const response = await patch(ticket.number, 'harper', { seats: 14, extras: ['catering', 'projector'], venue: 'Berlin' }, ticket.version);
    expect(response.status).toBe(200);
    expect(response.body.data.customFields).toEqual({ summary: 'Offsite', seats: 14, extras: ['catering', 'projector'], venue: 'Berlin' });
    expect(response.body.data.version).toBe(ticket.version + 1);

    const events = await h.request('GET', `/tickets/${ticket.number}/events?limit=100`, { as: 'emma' });
    const edit = events.body.data.find((e: { type: string }) => e.type === 'custom_fields_changed');
    expect(edit).toMatchObject({
      actorId: harperId,
      actorName: 'Harper Hughes',
      data: { before: { seats: 10, extras: ['catering'], venue: null }, after: { seats: 14, extras: ['catering', 'projector'], venue: 'Berlin' } },
    });
    const row = await h.db.models.Ticket.findByPk(ticket.number);
    expect(row!.get('custom_fields')).toEqual({ summary: 'Offsite', seats: 14, extras: ['catering', 'projector'], venue: 'Berlin' });
  });

  test('when an optional field is cleared with null, then it is removed and the event says so', async () => {
    const ticket = await raise({ summary: 'Offsite', budget: 100 });
    const response = await patch(ticket.number, 'harper', { budget: null }, ticket.version);
    expect(response.status).toBe(200);
    expect(response.body.data.customFields).toEqual({ summary: 'Offsite' });
    const events = await h.request('GET', `/tickets/${ticket.number}/events?limit=100`, { as: 'emma' });
    const edits = events.body.data.filter((e: { type: string }) => e.type === 'custom_fields_changed');
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatchObject({ actorId: harperId, data: { before: { budget: 100 }, after: { budget: null } } });
  });

  test('when the version is stale, then 409 and nothing changes', async () => {
    const ticket = await raise({ summary: 'Offsite' });
    expect((await patch(ticket.number, 'harper', { seats: 3 }, ticket.version)).status).toBe(200);
    const stale = await patch(ticket.number, 'harper', { seats: 4 }, ticket.version);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('STALE_VERSION');
    expect((await h.db.models.Ticket.findByPk(ticket.number))!.get('custom_fields')).toEqual({ summary: 'Offsite', seats: 3 });
  });

  test.each([
    ['text too short', { summary: 'ab' }, 'customFields.summary'],
    ['text too long', { summary: 'x'.repeat(41) }, 'customFields.summary'],
    ['a required field cleared', { summary: null }, 'customFields.summary'],
    ['a number out of range', { seats: 501 }, 'customFields.seats'],
    ['a number given as text', { seats: '12' }, 'customFields.seats'],
    ['money with fractions of a cent', { budget: 10.001 }, 'customFields.budget'],
    ['a date outside the range', { needed_by: '2025-12-31' }, 'customFields.needed_by'],
    ['an impossible date', { needed_by: '2026-02-30' }, 'customFields.needed_by'],
    ['a select value not offered', { venue: 'Paris' }, 'customFields.venue'],
    ['a multi-select with an unknown option', { extras: ['catering', 'pony'] }, 'customFields.extras'],
    ['a multi-select repeating an option', { extras: ['catering', 'catering'] }, 'customFields.extras'],
    ['a user that is not an id', { host: 'harper' }, 'customFields.host'],
    ['a user nobody is', { host: 424242 }, 'customFields.host'],
    ['an undeclared field', { colour: 'red' }, 'customFields.colour'],
  ])('when the edit has %s, then 400 names the field and the ticket is unchanged', async (_case, customFields, field) => {
    const ticket = await raise({ summary: 'Offsite' });
    const response = await patch(ticket.number, 'harper', customFields, ticket.version);
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
    const row = await h.db.models.Ticket.findByPk(ticket.number);
    expect(row!.get('seq')).toBe(ticket.version);
  });

  test('when the requester edits before triage, then it is allowed; once triaged, then 403', async () => {
    const ticket = await raise({ summary: 'Offsite' });
    const own = await patch(ticket.number, 'emma', { seats: 8 }, ticket.version);
    expect(own.status).toBe(200);
    expect(own.body.data.canEditCustomFields).toBe(true);
    const triaged = await h.request('POST', `/tickets/${ticket.number}/actions/triage`, { as: 'harper', body: {} });
    expect(triaged.status).toBe(200);
    const late = await patch(ticket.number, 'emma', { seats: 9 }, triaged.body.data.version);
    expect(late.status).toBe(403);
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' })).body.data.canEditCustomFields).toBe(false);
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'harper' })).body.data.canEditCustomFields).toBe(true);
    expect((await h.db.models.Ticket.findByPk(ticket.number))!.get('custom_fields')).toEqual({ summary: 'Offsite', seats: 8 });
  });

  test('when the team waits on the requester, then the requester may correct the form again', async () => {
    const ticket = await raise({ summary: 'Offsite' });
    let version = ticket.version;
    for (const [action, body] of [['assign', { assigneeId: harperId }], ['start', {}], ['wait_on_requester', { reason: 'How many seats?' }]] as const) {
      const response = await h.request('POST', `/tickets/${ticket.number}/actions/${action}`, { as: 'harper', body: { ...body, expectedVersion: version } });
      expect(response.status).toBe(200);
      version = response.body.data.version;
    }
    const answered = await patch(ticket.number, 'emma', { seats: 20 }, version);
    expect(answered.status).toBe(200);
    expect(answered.body.data.customFields).toEqual({ summary: 'Offsite', seats: 20 });
  });

  test('when a ticket is in approval, then its requester may not change what the approvers are deciding on, nor the amount that chose them', async () => {
    const purchase = await h.categoryId('fin-purchase');
    const created = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Monitors', description: 'Two monitors', categoryId: purchase, customFields: { amount: 400, vendor: 'Dell' } },
    });
    expect(created.status).toBe(201);
    const { number, version } = created.body.data as { number: number; version: number };
    expect((await h.request('GET', `/tickets/${number}`, { as: 'emma' })).body.data.status).toBe('pending_approval');
    const vendor = await h.request('PATCH', `/tickets/${number}/custom-fields`, { as: 'emma', body: { customFields: { vendor: 'Apple' }, expectedVersion: version } });
    expect(vendor.status).toBe(403);
    expect((await h.request('GET', `/tickets/${number}`, { as: 'emma' })).body.data.canEditCustomFields).toBe(false);
    const amount = await h.request('PATCH', `/tickets/${number}/custom-fields`, { as: 'emma', body: { customFields: { amount: 50000 }, expectedVersion: version } });
    expect(amount.status).toBe(409);
    expect(amount.body.error.code).toBe('APPROVAL_FIELD_LOCKED');
    expect((await h.db.models.Ticket.findByPk(number))!.get('custom_fields')).toEqual({ amount: 400, vendor: 'Dell' });
  });

  test('when someone who cannot see the ticket edits, then 404; an agent of another team who cannot see it, 404 too', async () => {
    const ticket = await raise({ summary: 'Offsite' });
    expect((await patch(ticket.number, 'priya', { seats: 2 }, ticket.version)).status).toBe(404);
    expect((await patch(ticket.number, 'alex', { seats: 2 }, ticket.version)).status).toBe(404);
  });
});

describe('filtering on custom fields', () => {
  test('when lists filter by multi-select, ranges, dates and users, then only matching tickets come back', async () => {
    const a = await raise({ summary: 'Filter A', budget: 900, needed_by: '2026-03-01', extras: ['parking', 'projector'], host: harperId });
    const b = await raise({ summary: 'Filter B', budget: 5000, needed_by: '2026-09-01', extras: ['catering'] });
    const numbers = async (query: string) => {
      const response = await h.request('GET', `/tickets?limit=100&${query}`, { as: 'ada' });
      expect(response.status).toBe(200);
      return (response.body.data as Array<{ number: number }>).map((t) => t.number).filter((n) => n === a.number || n === b.number);
    };
    expect(await numbers('cf.extras=parking')).toEqual([a.number]);
    expect(await numbers('cf.budget.min=1000')).toEqual([b.number]);
    expect((await numbers('cf.budget.min=500&cf.budget.max=5000')).sort()).toEqual([a.number, b.number].sort());
    expect(await numbers('cf.needed_by.max=2026-06-30')).toEqual([a.number]);
    expect(await numbers(`cf.host=${harperId}`)).toEqual([a.number]);
  });

  test.each([
    ['cf.extras=pony', 'cf.extras'],
    ['cf.venue.min=Berlin', 'cf.venue.min'],
    ['cf.needed_by=tomorrow', 'cf.needed_by'],
    ['cf.host=harper', 'cf.host'],
    ['cf.nothing=1', 'cf.nothing'],
  ])('when the filter is %s, then 400 names the parameter', async (query, field) => {
    const response = await h.request('GET', `/tickets?${query}`, { as: 'ada' });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
  });
});
