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
  // Leads read the organisation set-up (calendars, templates, routing, teams, categories) for the
  // read-only console; only admins change it, and only admins read the audit and inbound logs.
  ['calendar administration', () => '/admin/calendars', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['audit log', () => '/admin/audit', row(403, 403, 403, 403, 403, 403, 403, 200)],
  ['notification templates', () => '/admin/notification-templates', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['one notification template', () => '/admin/notification-templates/created', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['inbound email log', () => '/admin/inbound-emails', row(403, 403, 403, 403, 403, 403, 403, 200)],
  ['departments', () => '/admin/departments', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['teams administration', () => '/admin/teams', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['one team', () => `/admin/teams/${hrTeamId}`, row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['categories administration', () => '/admin/categories', row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['one category', () => `/admin/categories/${payroll}`, row(403, 403, 403, 403, 200, 200, 403, 200)],
  ['routing rules', () => '/admin/routing-rules', row(403, 403, 403, 403, 200, 200, 403, 200)],
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

describe('PUT a notification template', () => {
  test.each(PEOPLE)('when %s (%s) edits one, then only an admin may', async (person) => {
    const expected = row(403, 403, 403, 403, 403, 403, 403, 200)[person];
    const current = (await h.request('GET', '/admin/notification-templates/mention', { as: 'ada' })).body.data;
    const body = { subject: current.subject, htmlBody: current.htmlBody, textBody: current.textBody, expectedVersion: current.version };
    expect((await h.request('PUT', '/admin/notification-templates/mention', { as: person, body })).status).toBe(expected);
  });
});

describe('attachments', () => {
  const PDF = Buffer.from('%PDF-1.7\n%%EOF\n');
  const upload = async (person: DemoUserKey, number: number, visibility = 'public') => {
    const form = new FormData();
    form.append('visibility', visibility);
    form.append('file', new Blob([PDF]), 'payslip.pdf');
    const response = await fetch(`${h.apiUrl}/tickets/${number}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${await h.token(person)}` }, body: form });
    return { status: response.status, body: (await response.json()) as { data: Array<{ id: string }> } };
  };
  let publicFile: string;
  let internalFile: string;
  beforeAll(async () => {
    publicFile = (await upload('emma', shared)).body.data[0]!.id;
    internalFile = (await upload('harper', shared, 'internal')).body.data[0]!.id;
  });

  test.each(PEOPLE)('when %s (%s) uploads, then only those who may reply may', async (person) => {
    expect((await upload(person, shared)).status).toBe(row(201, 404, 201, 404, 201, 404, 404, 201)[person]);
  });

  test.each(PEOPLE)('when %s (%s) uploads an internal file, then only the staff of the ticket may', async (person) => {
    expect((await upload(person, shared, 'internal')).status).toBe(row(403, 404, 201, 404, 201, 404, 404, 201)[person]);
  });

  const FILE_READS: Array<[string, (n: number) => string, Expectation]> = [
    ['list', (n) => `/tickets/${n}/attachments`, row(200, 404, 200, 404, 200, 404, 404, 200)],
    ['download public', (n) => `/tickets/${n}/attachments/${publicFile}/content`, row(200, 404, 200, 404, 200, 404, 404, 200)],
    ['download internal', (n) => `/tickets/${n}/attachments/${internalFile}/content`, row(404, 404, 200, 404, 200, 404, 404, 200)],
    ['download log', (n) => `/tickets/${n}/attachments/${publicFile}/downloads`, row(403, 404, 200, 404, 200, 404, 404, 200)],
  ];
  describe.each(FILE_READS)('GET %s', (_name, path, expected) => {
    test.each(PEOPLE)('when %s (%s) asks, then the answer is as the access rules say', async (person) => {
      const response = await fetch(`${h.apiUrl}${path(shared)}`, { headers: { authorization: `Bearer ${await h.token(person)}` } });
      await response.arrayBuffer();
      expect(response.status).toBe(expected[person]);
    });
  });

  test.each(PEOPLE)('when %s (%s) asks for a rescan without a scanner configured, then staff hear 409 and others are refused', async (person) => {
    const response = await h.request('POST', `/tickets/${shared}/attachments/${publicFile}/scan`, { as: person });
    expect(response.status).toBe(row(403, 404, 409, 404, 409, 404, 404, 409)[person]);
  });
});

describe('POST the inbound email webhook', () => {
  test.each(PEOPLE)('when %s (%s) posts with a bearer token and no webhook password is configured, then 503: only basic auth ever opens it', async (person) => {
    const response = await h.request('POST', '/inbound/postmark', { as: person, body: { MessageID: 'x' } });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('NOT_CONFIGURED');
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

/**
 * Every admin change, tried by each person with a body that would be valid: only the admin gets
 * past the guard, and the admin's answer is the exact one that change deserves (a route that went
 * missing answers 404 "No such endpoint", which matches none of these).
 */
type AdminAnswer = { status: number; code?: string; message?: RegExp };
const ADMIN_WRITES: Array<[string, 'POST' | 'PUT' | 'DELETE', () => string, () => unknown, AdminAnswer]> = [
  ['create a department', 'POST', () => '/admin/departments', () => ({ code: `D${crypto.randomUUID().slice(0, 8)}`, name: 'Matrix' }), { status: 201 }],
  ['create a team', 'POST', () => '/admin/teams', () => ({ code: `t-${crypto.randomUUID().slice(0, 8)}`, name: 'Matrix', departmentId: 1 }), { status: 201 }],
  ['create a routing rule', 'POST', () => '/admin/routing-rules', () => ({ name: 'Matrix', conditions: { keywords: ['matrixword'] }, teamId: hrTeamId, enabled: false }), { status: 201 }],
  ['edit category fields', 'PUT', () => `/admin/categories/${payroll}/fields`, () => ({ fields: [], expectedVersion: 999 }), { status: 409, code: 'STALE_VERSION' }],
  ['remove a team member', 'DELETE', () => `/admin/teams/${hrTeamId}/members/999999?expectedVersion=1`, () => undefined, { status: 404, code: 'NOT_FOUND', message: /member/i }],
];

describe.each(ADMIN_WRITES)('%s', (_name, method, path, body, adminAnswer) => {
  test.each(PEOPLE)('when %s (%s) tries, then only the admin gets past the guard, with the answer that change deserves', async (person) => {
    const response = await h.request(method, path(), { as: person, body: body() });
    if (person !== 'ada') {
      expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
      return;
    }
    expect(response.status).toBe(adminAnswer.status);
    if (adminAnswer.code) expect(response.body.error.code).toBe(adminAnswer.code);
    if (adminAnswer.message) expect(response.body.error.message).toMatch(adminAnswer.message);
    if (adminAnswer.status < 300) expect(response.body.success).toBe(true);
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
