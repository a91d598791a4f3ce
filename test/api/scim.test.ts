import crypto from 'node:crypto';
import { NEW_HIRE_ACCOUNTS } from '../support/demo-accounts';
import { AUDIENCE, CLIENT_ID, startHarness, type Harness } from '../support/harness';
import { obtainAccessToken } from '../support/oidc-login';
import { waitUntil } from '../support/wait';
import { personDeactivationWorkflowId } from '../../workflows/person-deactivation';

const TOKEN = crypto.randomBytes(24).toString('hex');
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
let h: Harness;
let scimUrl: string;
let purchaseCategoryId: number;

beforeAll(async () => {
  h = await startHarness({ worker: true, appDeps: { scim: { token: TOKEN, clientName: 'Entra ID' }, signInProvisioning: { domains: ['example.com'] } } });
  scimUrl = h.apiUrl.replace(/\/api\/v1$/, '/scim/v2');
  purchaseCategoryId = await h.categoryId('fin-purchase');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function scim(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${scimUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/scim+json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const scimUser = (email: string, name: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  userName: email,
  name: { formatted: name },
  displayName: name,
  emails: [{ value: email, type: 'work', primary: true }],
  active: true,
  ...extra,
});

/** A new hire signs in at the issuer the way the portal does; the API links them by their verified email. */
const newHireTokens = new Map<number, string>();
async function asNewHire(n: number, method: string, path: string, body?: unknown) {
  if (!newHireTokens.has(n)) {
    const { accessToken } = await obtainAccessToken({ issuerUrl: process.env.TEST_ISSUER_URL!, clientId: CLIENT_ID, redirectUri: 'http://127.0.0.1:3000/auth/callback', audience: AUDIENCE, sub: NEW_HIRE_ACCOUNTS[n - 1]!.sub });
    newHireTokens.set(n, accessToken);
  }
  const response = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${newHireTokens.get(n)}`, 'content-type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
}

const purchase = (n: number) =>
  asNewHire(n, 'POST', '/tickets', { title: 'Licences', description: 'Two seats', categoryId: purchaseCategoryId, customFields: { amount: 500, vendor: 'Acme' } });

describe('SCIM protocol', () => {
  test('without the SCIM token every endpoint answers 401 with a SCIM error body, and a user token is not a SCIM token', async () => {
    const anonymous = await fetch(`${scimUrl}/Users`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    const userToken = await fetch(`${scimUrl}/Users`, { headers: { authorization: `Bearer ${await h.token('alex')}` } });
    expect(userToken.status).toBe(401);
  });

  test('discovery says what the provider supports: PATCH, filter, ETags, no bulk; the enterprise extension is on User', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, etag: { supported: true }, bulk: { supported: false } });
    const types = await scim('GET', '/ResourceTypes');
    const user = types.body.Resources.find((r: { name: string }) => r.name === 'User');
    expect(user.schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    expect((await scim('GET', '/Schemas')).body.Resources.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([ENTERPRISE, 'urn:ietf:params:scim:schemas:core:2.0:Group']));
  });

  test('discovery endpoints are read-only however the path is cased: another method answers 405', async () => {
    for (const path of ['/ServiceProviderConfig', '/serviceproviderconfig', '/SCHEMAS', '/resourceTypes']) {
      const refused = await scim('POST', path, {});
      expect({ path, status: refused.status, allow: refused.headers.get('allow') }).toEqual({ path, status: 405, allow: 'GET' });
    }
  });

  test('create, filter by userName, page, a duplicate is 409 uniqueness, a stale If-Match is 412, and an unknown manager is 400 naming the attribute', async () => {
    const created = await scim('POST', '/Users', scimUser('pat.paging@example.com', 'Pat Paging', { title: 'Analyst', addresses: [{ type: 'work', locality: 'Lisbon', primary: true }], [ENTERPRISE]: { department: 'Finance', employeeNumber: 'E-100' } }));
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body).toMatchObject({ userName: 'pat.paging@example.com', title: 'Analyst', addresses: [{ locality: 'Lisbon' }], [ENTERPRISE]: { department: 'Finance', employeeNumber: 'E-100' }, meta: { version: 'W/"1"' } });
    const row = await h.db.models.User.findByPk(Number(created.body.id));
    expect(row!.get('location')).toBe('Lisbon');

    const found = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "pat.paging@example.com"')}`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: created.body.id }] });
    await scim('POST', '/Users', scimUser('pat.paging2@example.com', 'Pat Two'));
    const page = await scim('GET', '/Users?startIndex=2&count=1');
    expect(page.body).toMatchObject({ startIndex: 2, itemsPerPage: 1 });
    expect(page.body.Resources).toHaveLength(1);
    expect(page.body.totalResults).toBeGreaterThanOrEqual(2);

    const duplicate = await scim('POST', '/Users', scimUser('pat.paging@example.com', 'Pat Again'));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ status: '409', scimType: 'uniqueness' });

    const stale = await scim('PUT', `/Users/${created.body.id}`, scimUser('pat.paging@example.com', 'Pat Renamed'), { 'if-match': 'W/"7"' });
    expect(stale.status).toBe(412);
    expect((await scim('GET', `/Users/${created.body.id}`)).body.displayName).toBe('Pat Paging');

    const badManager = await scim('PUT', `/Users/${created.body.id}`, scimUser('pat.paging@example.com', 'Pat', { [ENTERPRISE]: { manager: { value: '999999' } } }));
    expect(badManager.status).toBe(400);
    expect(badManager.body.detail).toContain('manager');
    expect((await scim('GET', '/Users/999999')).status).toBe(404);
  });

  test('schemas comes back with ?attributes= and on a root /.search; PATCH on the whole enterprise extension adds, replaces and removes; replacing emails replaces the address', async () => {
    const created = await scim('POST', '/Users', scimUser('ext.patch@example.com', 'Ext Patch', { [ENTERPRISE]: { department: 'Finance', employeeNumber: 'E-1' } }));
    const id = created.body.id as string;
    const narrowed = await scim('GET', `/Users/${id}?attributes=userName`);
    expect(narrowed.body).toEqual({ schemas: expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User']), id, userName: 'ext.patch@example.com' });
    const listed = await scim('GET', `/Groups?attributes=displayName`);
    for (const group of listed.body.Resources) expect(group.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:Group']);
    const searched = await scim('POST', '/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], attributes: ['userName'] });
    expect(searched.status).toBe(200);
    for (const resource of searched.body.Resources) expect(Array.isArray(resource.schemas)).toBe(true);

    const patch = (...Operations: unknown[]) => scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });
    const replaced = await patch({ op: 'replace', path: ENTERPRISE, value: { department: 'Sales' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body[ENTERPRISE]).toEqual({ department: 'Sales', employeeNumber: 'E-1' });
    expect((await patch({ op: 'add', path: ENTERPRISE, value: { employeeNumber: 'E-2' } })).body[ENTERPRISE]).toEqual({ department: 'Sales', employeeNumber: 'E-2' });
    const removed = await patch({ op: 'remove', path: ENTERPRISE });
    expect(removed.status).toBe(200);
    expect(removed.body[ENTERPRISE]).toBeUndefined();
    const row = await h.db.models.User.findByPk(Number(id));
    expect([row!.get('department_id'), row!.get('employee_number')]).toEqual([null, null]);

    const newAddress = await patch({ op: 'replace', path: 'emails', value: [{ value: 'ext.renamed@example.com' }] });
    expect(newAddress.body.emails).toEqual([{ value: 'ext.renamed@example.com' }]);
    expect((await h.db.models.User.findByPk(Number(id)))!.get('email')).toBe('ext.renamed@example.com');
    // emails stays required even though SCIMMY no longer enforces it (users.ts says why).
    const noAddress = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'no-address' });
    expect(noAddress.status).toBe(400);
    expect(noAddress.body.detail).toContain('emails');
    const schema = await scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    expect(schema.body.attributes.find((a: { name: string }) => a.name === 'emails').required).toBe(true);
  });
});

describe('provisioning story', () => {
  const ids: Record<string, string> = {};

  test('a person created with a manager raises a purchase: it goes to that manager; after a PATCH of the manager the next one goes to the new manager', async () => {
    // Seeded people are adopted by the identity provider when it provisions their address.
    const carla = await scim('POST', '/Users', scimUser('carla@example.com', 'Carla Chen'));
    expect(carla.status).toBe(201);
    ids.carla = carla.body.id;
    const maya = await scim('POST', '/Users', scimUser('maya.manager@example.com', 'Maya Manager', { [ENTERPRISE]: { department: 'Finance', manager: { value: ids.carla } } }));
    expect(maya.status).toBe(201);
    ids.maya = maya.body.id;
    const omar = await scim('POST', '/Users', scimUser('omar.other@example.com', 'Omar Other', { [ENTERPRISE]: { department: 'Finance' } }));
    ids.omar = omar.body.id;
    const hire = await scim('POST', '/Users', scimUser('new.hire1@example.com', 'New Hire 1', { [ENTERPRISE]: { department: 'Finance', manager: { value: ids.maya } } }));
    expect(hire.status).toBe(201);
    ids.hire = hire.body.id;

    const first = await purchase(1);
    expect(first.status).toBe(201);
    expect(first.body.data.approval.steps[0].approverIds).toEqual([Number(ids.maya)]);
    ids.firstTicket = String(first.body.data.number);

    const patched = await scim('PATCH', `/Users/${ids.hire}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: ids.omar } }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body[ENTERPRISE].manager.value).toBe(ids.omar);
    const second = await purchase(1);
    expect(second.body.data.approval.steps[0].approverIds).toEqual([Number(ids.omar)]);
    // The running ticket keeps the approver it started with.
    const firstAgain = await asNewHire(1, 'GET', `/tickets/${ids.firstTicket}`);
    expect(firstAgain.body.data.approval.steps[0].approverIds).toEqual([Number(ids.maya)]);

    const audit = await h.db.models.AuditLog.findAll({ where: { entity: 'user', entity_id: ids.hire }, order: [['id', 'ASC']] });
    const last = audit[audit.length - 1]!;
    expect(last.get('actor_label')).toBe('scim:Entra ID');
    expect((last.get('before') as { managerId: number }).managerId).toBe(Number(ids.maya));
    expect((last.get('after') as { managerId: number }).managerId).toBe(Number(ids.omar));
  });

  test('deactivating an approver with a waiting step hands the step to their manager and the timeline says why', async () => {
    const off = await scim('PATCH', `/Users/${ids.maya}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    // The hand-over is a workflow of its own, started by the change: it finishes after the answer.
    const handOver = await h.env.client.workflow.getHandle(personDeactivationWorkflowId(Number(ids.maya), Number(off.body.meta.version.replace(/\D/g, '')))).result();
    expect(handOver).toEqual({ handedOn: 1, left: [], leadsTold: 0 });
    const ticket = await asNewHire(1, 'GET', `/tickets/${ids.firstTicket}`);
    const step = ticket.body.data.approval.steps[0];
    expect(step.delegatedTo).toEqual({ [ids.maya!]: Number(ids.carla) });
    const events = await asNewHire(1, 'GET', `/tickets/${ids.firstTicket}/events`);
    const handed = events.body.data.find((e: { type: string }) => e.type === 'approval_delegated');
    expect(handed).toBeDefined();
    expect(handed.data).toMatchObject({ from: Number(ids.maya), to: Number(ids.carla) });
    expect(handed.data.reason).toContain('deactivated');
    // Carla can now decide it.
    const approved = await h.request('POST', `/tickets/${ids.firstTicket}/approval/approve`, { as: 'carla', body: { step: 0 } });
    expect(approved.status).toBe(200);
  });

  test('deactivating an agent tells their team lead which open tickets are still theirs, once, even when the change is sent twice', async () => {
    const created = await h.request('POST', '/tickets', { as: 'emma', body: { title: 'Payslip missing', description: 'November', categoryId: await h.categoryId('hr-payroll') } });
    expect(created.status).toBe(201);
    const number = created.body.data.number as number;
    const harperId = await h.userId('harper');
    expect((await h.request('POST', `/tickets/${number}/actions/assign`, { as: 'hannah', body: { assigneeId: harperId } })).status).toBe(200);
    await waitUntil(`#${number} assigned to Harper in the read tables`, async () => (await h.db.models.Ticket.findByPk(number))?.get('assignee_id'), (id) => id === harperId);
    const harper = await scim('POST', '/Users', scimUser('harper@example.com', 'Harper Hughes'));
    expect(harper.status).toBe(201);
    const deactivate = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
    const off = await scim('PATCH', `/Users/${harper.body.id}`, deactivate);
    expect(off.status).toBe(200);
    // The repeat changes nothing: 204, and no second hand-over or notice.
    expect((await scim('PATCH', `/Users/${harper.body.id}`, deactivate)).status).toBe(204);
    const version = Number(off.body.meta.version.replace(/\D/g, ''));
    expect(await h.env.client.workflow.getHandle(personDeactivationWorkflowId(harperId, version)).result()).toEqual({ handedOn: 0, left: [], leadsTold: 1 });
    const notices = await h.db.models.Notification.findAll({ where: { user_id: await h.userId('hannah'), kind: 'person_deactivated' } });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.get('body')).toContain(`Open tickets still assigned to them: #${number}.`);
    expect(notices[0]!.get('body')).toContain('scim:Entra ID');
  });

  test('membership of "Service Desk Agents" grants the agent role in IT Service Desk: at next sign-in the person sees the team queue', async () => {
    const hire2 = await scim('POST', '/Users', scimUser('new.hire2@example.com', 'New Hire 2'));
    expect(hire2.status).toBe(201);
    const before = await asNewHire(2, 'GET', '/me');
    expect(before.body.data.roles).toEqual(['requester']);
    newHireTokens.delete(2);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Service Desk Agents', members: [{ value: hire2.body.id }] });
    expect(group.status).toBe(201);
    expect(group.body.members).toEqual([expect.objectContaining({ value: hire2.body.id })]);
    const me = await asNewHire(2, 'GET', '/me');
    expect(me.body.data.roles).toEqual(expect.arrayContaining(['requester', 'agent']));
    expect(me.body.data.teams).toEqual([expect.objectContaining({ code: 'it-service-desk', membership: 'agent' })]);
    const queue = await asNewHire(2, 'GET', '/tickets?scope=team');
    expect(queue.status).toBe(200);

    // Leaving the group takes both away again.
    const removed = await scim('PATCH', `/Groups/${group.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${hire2.body.id}"]` }] });
    expect(removed.status).toBe(200);
    expect((await asNewHire(2, 'GET', '/me')).body.data.roles).toEqual(['requester']);
  });
});

describe('sign-in provisioning', () => {
  test('a verified address of an allowed domain that is not in the directory becomes a requester at first sign-in, audited', async () => {
    expect(await h.db.models.User.findOne({ where: { email: 'new.hire3@example.com' } })).toBeNull();
    const me = await asNewHire(3, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ email: 'new.hire3@example.com', name: 'New Hire 3', roles: ['requester'] });
    const audit = await h.db.models.AuditLog.findOne({ where: { entity: 'user', entity_id: String(me.body.data.id), action: 'provision' } });
    expect(audit?.get('actor_label')).toBe('sign-in provisioning');
  });

  test('an address of another domain is refused with a message saying whom to ask; a deactivated person is not provisioned again', async () => {
    const outsider = await asNewHire(5, 'GET', '/me');
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.message).toMatch(/\(outsider@partner\.test\) has no account.*Ask .+ <.+@.+> to add you/);
    // New Hire 1 holds a SCIM account; once the provider lets go of them they cannot come back through sign-in.
    const hire1 = await h.db.models.User.findOne({ where: { email: 'new.hire1@example.com' } });
    const released = await scim('DELETE', `/Users/${String(hire1!.get('id'))}`);
    expect(released.status).toBe(204);
    expect((await scim('GET', `/Users/${String(hire1!.get('id'))}`)).status).toBe(404);
    newHireTokens.delete(1);
    const again = await asNewHire(1, 'GET', '/me');
    expect(again.status).toBe(403);
    expect(again.body.error.message).toContain('deactivated');
  });
});
