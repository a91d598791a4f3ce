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
  ['approvals pending for me', () => '/approvals/pending', row(200, 200, 200, 200, 200, 200, 200, 200)],
  ['watchers', (n) => `/tickets/${n}/watchers`, row(200, 404, 200, 404, 200, 404, 404, 200)],
  ['imports', () => '/imports', row(403, 403, 403, 403, 200, 200, 403, 200)],
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

describe('POST watch a ticket (yourself)', () => {
  test.each(PEOPLE)('when %s (%s) watches, then anyone who may see the ticket may', async (person) => {
    const expected = row(201, 404, 201, 404, 201, 404, 404, 201)[person];
    const { number } = await raise();
    expect((await h.request('POST', `/tickets/${number}/watchers`, { as: person, body: {} })).status).toBe(expected);
  });
});

describe('POST add someone else as a watcher', () => {
  test.each(PEOPLE)('when %s (%s) adds the requester, then only the staff of the ticket may', async (person) => {
    const expected = row(201, 404, 201, 404, 201, 404, 404, 201)[person];
    const { number } = await raise();
    const target = person === 'emma' ? await h.userId('harper') : await h.userId('emma');
    const response = await h.request('POST', `/tickets/${number}/watchers`, { as: person, body: { userId: target } });
    expect(response.status).toBe(person === 'emma' ? 403 : expected);
  });
});

describe('DELETE someone else as a watcher', () => {
  test.each(PEOPLE)('when %s (%s) removes another watcher, then only the staff of the ticket may', async (person) => {
    const expected = row(403, 404, 200, 404, 200, 404, 404, 200)[person];
    const { number } = await raise();
    const other = person === 'harper' ? 'hannah' : 'harper';
    await h.request('POST', `/tickets/${number}/watchers`, { as: other, body: {} });
    const response = await h.request('DELETE', `/tickets/${number}/watchers/${await h.userId(other)}`, { as: person });
    expect(response.status).toBe(expected);
  });
});

describe('POST an import', () => {
  test.each(PEOPLE)('when %s (%s) uploads a CSV, then only leads and admins may', async (person) => {
    const expected = row(403, 403, 403, 403, 202, 202, 403, 202)[person];
    const csv = `external_id,requester_email,title,description,category\r\nmatrix-${person}-${crypto.randomUUID()},emma@example.com,Matrix,x,hr-payroll\r\n`;
    const response = await fetch(`${h.apiUrl}/imports`, { method: 'POST', headers: { authorization: `Bearer ${await h.token(person)}`, 'content-type': 'text/csv' }, body: csv });
    expect(response.status).toBe(expected);
  });
});
