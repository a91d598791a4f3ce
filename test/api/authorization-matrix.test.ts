import crypto from 'node:crypto';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';

/**
 * Every endpoint × every role, relative to one ticket: Emma's payroll question, owned
 * by People Operations (HR). A ticket a caller may not see answers 404, never 403.
 */
const PEOPLE: Array<[DemoUserKey, string]> = [
  ['emma', 'requester, own ticket'],
  ['priya', 'requester, someone else'],
  ['harper', 'agent of the owning team'],
  ['alex', 'agent of another team'],
  ['hannah', 'lead of the owning team, head of HR'],
  ['lee', 'lead of another team'],
  ['mark', 'manager of another department'],
  ['ada', 'admin'],
];

type Expectation = Record<DemoUserKey, number>;
const row = (emma: number, priya: number, harper: number, alex: number, hannah: number, lee: number, mark: number, ada: number) =>
  ({ emma, priya, harper, alex, hannah, lee, mark, ada }) as Expectation;

let h: Harness;
let payroll: number;
let shared: number;
let hrTeamId: number;

beforeAll(async () => {
  h = await startHarness();
  payroll = await h.categoryId('hr-payroll');
  shared = (await raise()).number;
  hrTeamId = (await h.db.models.Team.findOne({ where: { code: 'people-ops' } }))!.get('id') as number;
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function raise() {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Overtime missing', description: 'October', categoryId: payroll },
  });
  return response.body.data as { number: number };
}

const READS: Array<[string, (n: number) => string, Expectation]> = [
  ['ticket detail', (n) => `/tickets/${n}`, row(200, 404, 200, 404, 200, 404, 404, 200)],
  ['timeline', (n) => `/tickets/${n}/events`, row(200, 404, 200, 404, 200, 404, 404, 200)],
  ['conversation', (n) => `/tickets/${n}/messages`, row(200, 404, 200, 404, 200, 404, 404, 200)],
  ['live workflow view', (n) => `/tickets/${n}/live`, row(200, 404, 200, 404, 200, 404, 404, 200)],
  ['backlog report', () => '/reports/backlog', row(403, 403, 403, 403, 200, 200, 200, 200)],
  ['calendar administration', () => '/admin/calendars', row(403, 403, 403, 403, 403, 403, 403, 200)],
  ['audit log', () => '/admin/audit', row(403, 403, 403, 403, 403, 403, 403, 200)],
  // Leads read the organisation set-up (routing, teams, categories); only admins change it.
  ['departments', () => '/admin/departments', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['teams administration', () => '/admin/teams', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['one team', () => `/admin/teams/${hrTeamId}`, row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['categories administration', () => '/admin/categories', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['one category', () => `/admin/categories/${payroll}`, row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['routing rules', () => '/admin/routing-rules', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['approvals pending for me', () => '/approvals/pending', row(200, 200, 200, 200, 200, 200, 200, 200)],
];

describe.each(READS)('GET %s', (_name, path, expected) => {
  test.each(PEOPLE)('when %s (%s) asks, then the answer is as the access rules say', async (person) => {
    const response = await h.request('GET', path(shared), { as: person });
    expect(response.status).toBe(expected[person]);
  });
});

describe('GET team members', () => {
  test.each(PEOPLE)('when %s (%s) asks, then only staff may list a team', async (person) => {
    const expected = row(403, 403, 200, 200, 200, 200, 200, 200)[person];
    expect((await h.request('GET', `/teams/${hrTeamId}/members`, { as: person })).status).toBe(expected);
  });
});

describe('POST a public reply', () => {
  test.each(PEOPLE)('when %s (%s) writes, then only the requester and the staff of the ticket may', async (person) => {
    const expected = row(201, 404, 201, 404, 201, 404, 404, 201)[person];
    const { number } = await raise();
    expect((await h.request('POST', `/tickets/${number}/messages`, { as: person, body: { body: 'Hello' } })).status).toBe(expected);
  });
});

describe('POST triage', () => {
  test.each(PEOPLE)('when %s (%s) triages a new ticket, then only its team and admins may', async (person) => {
    const expected = row(403, 404, 200, 404, 200, 404, 404, 200)[person];
    const { number } = await raise();
    const response = await h.request('POST', `/tickets/${number}/actions/triage`, { as: person, body: {} });
    expect(response.status).toBe(expected);
    const status = (await h.request('GET', `/tickets/${number}`, { as: 'ada' })).body.data.status;
    expect(status).toBe(expected === 200 ? 'triaged' : 'new');
  });
});

describe('PATCH custom fields', () => {
  // Payroll declares no fields, so whoever may reach the ticket gets the schema's 400: this row checks
  // visibility; who may edit once visible (requester before triage, write staff) is in custom-fields-edit.test.ts.
  test.each(PEOPLE)('when %s (%s) edits a new ticket, then only those who see it get past access', async (person) => {
    const expected = row(200, 404, 200, 404, 200, 404, 404, 200)[person];
    const { number } = await raise();
    const version = (await h.request('GET', `/tickets/${number}`, { as: 'ada' })).body.data.version;
    const response = await h.request('PATCH', `/tickets/${number}/custom-fields`, { as: person, body: { customFields: { note: 'x' }, expectedVersion: version } });
    expect(response.status).toBe(expected === 200 ? 400 : expected);
  });
});

/** Every admin change, tried by each person with a body that would be valid: only the admin gets past the guard. */
const ADMIN_WRITES: Array<[string, 'POST' | 'PUT' | 'DELETE', () => string, () => unknown]> = [
  ['create a department', 'POST', () => '/admin/departments', () => ({ code: `D${crypto.randomUUID().slice(0, 8)}`, name: 'Matrix' })],
  ['create a team', 'POST', () => '/admin/teams', () => ({ code: `t-${crypto.randomUUID().slice(0, 8)}`, name: 'Matrix', departmentId: 1 })],
  ['create a routing rule', 'POST', () => '/admin/routing-rules', () => ({ name: 'Matrix', conditions: { keywords: ['matrixword'] }, teamId: hrTeamId, enabled: false })],
  ['edit category fields', 'PUT', () => `/admin/categories/${payroll}/fields`, () => ({ fields: [], expectedVersion: 999 })],
  ['remove a team member', 'DELETE', () => `/admin/teams/${hrTeamId}/members/999999?expectedVersion=1`, () => undefined],
];

describe.each(ADMIN_WRITES)('%s', (_name, method, path, body) => {
  test.each(PEOPLE)('when %s (%s) tries, then only the admin gets past the guard', async (person) => {
    const response = await h.request(method, path(), { as: person, body: body() });
    if (person === 'ada') expect([200, 201, 404, 409]).toContain(response.status);
    else expect(response.status).toBe(403);
  });
});
