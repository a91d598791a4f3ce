import crypto from 'node:crypto';
import { CreateTicketBody } from '../../api/schemas';
import { createTicketReads } from '../../api/ticket-reads';
import { createTicketService } from '../../api/ticket-service';
import { demoSubject } from '../../lib/db/demo-org';
import { createOrganisation } from '../../lib/db/organisation';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let categories: Record<string, number>;

beforeAll(async () => {
  h = await startHarness();
  const catalog = await h.request('GET', '/catalog', { as: 'emma' });
  categories = Object.fromEntries(catalog.body.data.categories.map((c: { code: string; id: number }) => [c.code, c.id]));
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const valid = () => ({ title: 'Monitor flickers', description: 'Since this morning', categoryId: categories['it-laptop'], priority: 'low' });

async function create(as: 'emma' | 'priya' | 'mark', body: Record<string, unknown> = valid(), key: string = crypto.randomUUID()) {
  return h.request('POST', '/tickets', { as, body, headers: { 'Idempotency-Key': key } });
}

async function counts() {
  return {
    tickets: await h.db.models.Ticket.count(),
    requests: await h.db.models.TicketRequest.count(),
    events: await h.db.models.TicketEvent.count(),
  };
}

describe('bad input', () => {
  const invalidBodies: Array<[string, () => Record<string, unknown>, string[]]> = [
    ['a missing title', () => ({ ...valid(), title: undefined }), ['title']],
    ['a title too short', () => ({ ...valid(), title: 'x' }), ['title']],
    ['an unknown priority', () => ({ ...valid(), priority: 'urgent' }), ['priority']],
    ['a category id that is not a number', () => ({ ...valid(), categoryId: 'laptops' }), ['categoryId']],
    ['an unknown property', () => ({ ...valid(), status: 'closed' }), ['status']],
    ['several problems at once', () => ({ description: '', categoryId: -1 }), ['title', 'description', 'categoryId']],
  ];
  test.each(invalidBodies)('when a ticket is created with %s, then 400 names each field and nothing is written', async (_case, body, fields) => {
    const before = await counts();
    const response = await create('emma', body());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([...fields].sort());
    expect(await counts()).toEqual(before);
  });

  test('when the category does not exist, then 400 names categoryId and nothing is written', async () => {
    const before = await counts();
    const response = await create('emma', { ...valid(), categoryId: 99999 });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ field: 'categoryId', message: 'is not an active category' }]);
    expect(await counts()).toEqual(before);
  });

  test('when custom fields break the category schema, then each is named and nothing is written', async () => {
    const before = await counts();
    const response = await create('emma', {
      title: 'Buy licences',
      description: 'For the team',
      categoryId: categories['fin-purchase'],
      customFields: { amount: 'lots', colour: 'blue' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'customFields.amount',
      'customFields.colour',
      'customFields.vendor',
    ]);
    expect(await counts()).toEqual(before);
  });

  test('when the body is not JSON, then 400 MALFORMED_JSON', async () => {
    const response = await h.request('POST', '/tickets', { as: 'emma', body: '{"title": ', headers: { 'Idempotency-Key': crypto.randomUUID() } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('MALFORMED_JSON');
  });

  test('when the idempotency key is malformed, then 400 names the header', async () => {
    const response = await create('emma', valid(), 'bad key!');
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe('Idempotency-Key');
  });

  test('when a list filter is not a known status, then 400 names it', async () => {
    const response = await h.request('GET', '/tickets?status=open,new&limit=5000', { as: 'emma' });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['limit', 'status.0']);
  });

  test('when an action is unknown or its input has the wrong type, then 400 names the field', async () => {
    const ticket = (await create('emma')).body.data;
    const unknown = await h.request('POST', `/tickets/${ticket.number}/actions/teleport`, { as: 'lee', body: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].field).toBe('action');
    const wrongType = await h.request('POST', `/tickets/${ticket.number}/actions/assign`, { as: 'lee', body: { assigneeId: 'alex' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details[0].field).toBe('assigneeId');
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' })).body.data.version).toBe(ticket.version);
  });

  test('when there is no token or a forged one, then 401', async () => {
    expect((await h.request('GET', '/tickets')).status).toBe(401);
    const token = await h.token('emma');
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not-the-signature').toString('base64url')}`;
    const response = await fetch(`${h.apiUrl}/tickets`, { headers: { authorization: `Bearer ${forged}` } });
    expect(response.status).toBe(401);
  });
});

describe('idempotent actions that end a ticket', () => {
  test('when a cancel that ended the ticket is sent again with the same key, then it answers as the first did; another key gets 409', async () => {
    const ticket = (await create('emma', valid(), crypto.randomUUID())).body.data;
    const key = crypto.randomUUID();
    const cancel = () => h.request('POST', `/tickets/${ticket.number}/actions/cancel`, { as: 'emma', headers: { 'Idempotency-Key': key }, body: { reason: 'Found it' } });
    const first = await cancel();
    expect({ status: first.status, ticketStatus: first.body.data?.status }).toEqual({ status: 200, ticketStatus: 'cancelled' });
    const again = await cancel();
    expect({ status: again.status, ticketStatus: again.body.data?.status, version: again.body.data?.version }).toEqual({ status: 200, ticketStatus: 'cancelled', version: first.body.data.version });
    const other = await h.request('POST', `/tickets/${ticket.number}/actions/cancel`, { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { reason: 'Found it' } });
    expect({ status: other.status, code: other.body.error?.code }).toEqual({ status: 409, code: 'ILLEGAL_TRANSITION' });
    const unkeyed = await h.request('POST', `/tickets/${ticket.number}/actions/cancel`, { as: 'emma', body: { reason: 'Found it' } });
    expect(unkeyed.status).toBe(409);
    // The same key from someone else names another change: theirs was never made.
    const lee = await h.request('POST', `/tickets/${ticket.number}/actions/cancel`, { as: 'lee', headers: { 'Idempotency-Key': key }, body: { reason: 'Found it' } });
    expect(lee.status).toBe(409);
  });
});

describe('an Idempotency-Key reused for another request', () => {
  test('when a reply or a priority change comes again with the same key and another body, then 409 IDEMPOTENCY_CONFLICT names the key and the first stands; the same body is answered again', async () => {
    const ticket = (await create('emma', valid(), crypto.randomUUID())).body.data;
    const key = crypto.randomUUID();
    const reply = (body: string) => h.request('POST', `/tickets/${ticket.number}/messages`, { as: 'emma', headers: { 'Idempotency-Key': key }, body: { body, visibility: 'public' } });
    expect((await reply('First message')).status).toBe(201);
    const other = await reply('Second, different message');
    expect({ status: other.status, code: other.body.error?.code, field: other.body.error?.details?.[0]?.field }).toEqual({ status: 409, code: 'IDEMPOTENCY_CONFLICT', field: 'Idempotency-Key' });
    expect((await reply('First message')).status).toBe(201);
    const messages = await h.request('GET', `/tickets/${ticket.number}/messages`, { as: 'emma' });
    expect(messages.body.data.map((m: { body: string }) => m.body).filter((b: string) => b.endsWith('message'))).toEqual(['First message']);

    const priorityKey = crypto.randomUUID();
    const priority = (to: string) => h.request('POST', `/tickets/${ticket.number}/actions/set_priority`, { as: 'lee', headers: { 'Idempotency-Key': priorityKey }, body: { priority: to, reason: 'Blocks the team' } });
    expect((await priority('high')).body.data?.priority).toBe('high');
    expect((await priority('critical')).body.error?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' })).body.data.priority).toBe('high');
  });
});

describe('idempotent create', () => {
  test('when the same Idempotency-Key is sent twice, then one ticket exists and both answers name it', async () => {
    const key = crypto.randomUUID();
    const first = await create('emma', valid(), key);
    const second = await create('emma', valid(), key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.data.number).toBe(first.body.data.number);
    expect(await h.db.models.TicketRequest.count({ where: { idempotency_key: key } })).toBe(1);
    const workflows = await h.env.client.workflow.count(`WorkflowId = "ticket-${first.body.data.number}"`);
    expect(workflows.count).toBe(1);
  });

  test("when a key is sent again after an operator ended the ticket's workflow, then the answer is the ticket as last projected and no new run starts", async () => {
    const key = crypto.randomUUID();
    const first = await create('emma', valid(), key);
    expect(first.status).toBe(201);
    const number = first.body.data.number as number;
    await h.env.client.workflow.getHandle(`ticket-${number}`).terminate('ended by an operator (test)');
    const again = await create('emma', valid(), key);
    expect({ status: again.status, number: again.body.data?.number, replayed: again.headers.get('idempotent-replayed') }).toEqual({ status: 200, number, replayed: 'true' });
    expect((await h.env.client.workflow.count(`WorkflowId = "ticket-${number}"`)).count).toBe(1);
  });

  test("when a key is sent again after an operator ended a ticket's workflow before it was ever projected, then 404, for the portal and for the import's and email's create alike", async () => {
    const key = crypto.randomUUID();
    const first = await create('emma', valid(), key);
    const number = first.body.data.number as number;
    await h.env.client.workflow.getHandle(`ticket-${number}`).terminate('ended by an operator (test)');
    // As if the worker had died before the first projection: the number is allocated, no row exists.
    await h.db.models.TicketEvent.destroy({ where: { ticket_number: number } });
    await h.db.models.Ticket.destroy({ where: { number } });

    const again = await create('emma', valid(), key);
    expect({ status: again.status, code: again.body.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const organisation = createOrganisation(h.db.models);
    const service = createTicketService({ client: h.env.client, models: h.db.models, organisation, reads: createTicketReads(h.db.models), temporal: h.config.temporal });
    const emma = (await organisation.userBySubject(demoSubject('emma')))!;
    await expect(service.open(emma, CreateTicketBody.parse(valid()), key, 'portal')).rejects.toMatchObject({ status: 404 });
    expect((await h.env.client.workflow.count(`WorkflowId = "ticket-${number}"`)).count).toBe(1);
  });

  test('when concurrent requests share a key, then still one ticket', async () => {
    const key = crypto.randomUUID();
    const answers = await Promise.all([create('emma', valid(), key), create('emma', valid(), key), create('emma', valid(), key)]);
    expect(new Set(answers.map((a) => a.body.data.number)).size).toBe(1);
    expect(await h.db.models.TicketRequest.count({ where: { idempotency_key: key } })).toBe(1);
  });

  test('when a key is reused with a different body, then 409 and nothing new', async () => {
    const key = crypto.randomUUID();
    await create('emma', valid(), key);
    const before = await counts();
    const reused = await create('emma', { ...valid(), title: 'Something else entirely' }, key);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await counts()).toEqual(before);
  });
});

describe('who sees what', () => {
  let priyasTicket: { number: number };
  let purchase: { number: number };

  beforeAll(async () => {
    priyasTicket = (await create('priya', { ...valid(), title: 'Priya private laptop' })).body.data;
    purchase = (
      await create('emma', { title: 'Team licences', description: 'Ten seats', categoryId: categories['fin-purchase'], customFields: { amount: 1200, vendor: 'Acme' } })
    ).body.data;
  });

  test.each(['', '/events', '/live'])("when a requester asks for someone else's ticket%s, then 404", async (suffix) => {
    const response = await h.request('GET', `/tickets/${priyasTicket.number}${suffix}`, { as: 'emma' });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  test("when a requester acts on someone else's ticket, then 404 and nothing changes", async () => {
    const response = await h.request('POST', `/tickets/${priyasTicket.number}/actions/cancel`, { as: 'emma', body: { reason: 'mine now' } });
    expect(response.status).toBe(404);
    expect((await h.request('GET', `/tickets/${priyasTicket.number}`, { as: 'priya' })).body.data.status).not.toBe('cancelled');
  });

  test('when a ticket does not exist, then the answer is the same 404', async () => {
    expect((await h.request('GET', '/tickets/987654', { as: 'emma' })).status).toBe(404);
  });

  test("when an agent of another team looks, then 404; the owning team's agent sees it", async () => {
    expect((await h.request('GET', `/tickets/${priyasTicket.number}`, { as: 'harper' })).status).toBe(404);
    expect((await h.request('GET', `/tickets/${priyasTicket.number}`, { as: 'sam' })).status).toBe(200);
  });

  test("when a manager looks, then they see their department's tickets and not others'", async () => {
    expect((await h.request('GET', `/tickets/${purchase.number}`, { as: 'mark' })).status).toBe(200);
    expect((await h.request('GET', `/tickets/${priyasTicket.number}`, { as: 'mark' })).status).toBe(404);
  });

  test('when an admin looks, then every ticket is visible', async () => {
    const list = await h.request('GET', '/tickets?limit=100', { as: 'ada' });
    const numbers = list.body.data.map((t: { number: number }) => t.number);
    expect(numbers).toEqual(expect.arrayContaining([priyasTicket.number, purchase.number]));
    expect(list.body.pagination).toMatchObject({ page: 1, limit: 100, total: numbers.length });
  });

  test('when the list is filtered on a declared custom field, then only matching tickets appear', async () => {
    const numbers = async (query: string) => (await h.request('GET', `/tickets?limit=100&${query}`, { as: 'ada' })).body.data.map((t: { number: number }) => t.number);
    expect(await numbers('cf.vendor=Acme')).toEqual([purchase.number]);
    expect(await numbers('cf.amount=1200')).toEqual([purchase.number]);
    expect(await numbers('cf.vendor=Globex')).toEqual([]);
  });

  test('when a custom-field filter names an undeclared field or the wrong type, then 400 names the parameter', async () => {
    const response = await h.request('GET', '/tickets?cf.colour=red&cf.amount=lots', { as: 'ada' });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['cf.amount', 'cf.colour']);
  });

  test("when a requester lists tickets, then only their own appear", async () => {
    const list = await h.request('GET', '/tickets?limit=100', { as: 'emma' });
    const requesters = new Set(list.body.data.map((t: { requesterName: string }) => t.requesterName));
    expect([...requesters]).toEqual(['Emma Employee']);
  });
});
