import crypto from 'node:crypto';
import { ticketWorkflowId, stateQuery } from '../../workflows/definitions';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let laptopCategoryId: number;

beforeAll(async () => {
  h = await startHarness();
  laptopCategoryId = await h.categoryId('it-laptop');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const key = () => crypto.randomUUID();

async function createTicket(title = 'New laptop for onboarding', as: 'emma' | 'priya' = 'emma') {
  const response = await h.request('POST', '/tickets', {
    as,
    headers: { 'Idempotency-Key': key() },
    body: { title, description: 'Starting Monday, needs a developer laptop', categoryId: laptopCategoryId, priority: 'high' },
  });
  expect(response.status).toBe(201);
  return response.body.data;
}

async function act(as: 'alex' | 'sam' | 'lee' | 'emma' | 'nina', number: number, action: string, body: Record<string, unknown> = {}) {
  return h.request('POST', `/tickets/${number}/actions/${action}`, { as, body });
}

describe('ticket lifecycle over HTTP', () => {
  test('when a requester creates a ticket, then it is routed, auto-assigned round-robin and visible at once', async () => {
    const ticket = await createTicket();
    expect(ticket).toMatchObject({ status: 'assigned', teamName: 'IT Service Desk', requesterName: 'Emma Employee', priority: 'high' });
    expect(['Alex Agent', 'Sam Support', 'Lee Lead']).toContain(ticket.assigneeName);
    expect(ticket.workflowId).toBe(ticketWorkflowId(ticket.number));

    const detail = await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' });
    expect(detail.status).toBe(200);
    expect(detail.body.data.allowedActions.map((a: { action: string }) => a.action)).toEqual(['cancel']);

    const mine = await h.request('GET', '/tickets?scope=mine', { as: 'emma' });
    expect(mine.body.data.map((t: { number: number }) => t.number)).toContain(ticket.number);
  });

  test('when the team works a ticket to closure, then every step is recorded in order in the read tables and the workflow completes', async () => {
    const created = await createTicket('Walk me through the lifecycle');
    const lee = await h.userId('lee');
    const nina = await h.userId('nina');
    const sam = await h.userId('sam');
    const assignee = created.assigneeId === lee ? sam : lee;

    expect((await act('lee', created.number, 'assign', { assigneeId: assignee })).body.data).toMatchObject({ status: 'assigned', assigneeId: assignee });
    const notAMember = await act('lee', created.number, 'assign', { assigneeId: nina });
    expect(notAMember.status).toBe(400);
    expect(notAMember.body.error.details).toEqual([expect.objectContaining({ field: 'assigneeId' })]);

    expect((await act('lee', created.number, 'start')).body.data.status).toBe('in_progress');
    expect((await act('lee', created.number, 'wait_on_requester', { reason: 'Which model?' })).body.data.status).toBe('waiting_on_requester');
    expect((await act('lee', created.number, 'resume')).body.data.status).toBe('in_progress');
    expect((await act('lee', created.number, 'resolve', { resolution: 'Laptop handed over' })).body.data.status).toBe('resolved');
    expect((await act('emma', created.number, 'reopen', { reason: 'Charger missing' })).body.data.status).toBe('in_progress');
    expect((await act('lee', created.number, 'resolve', { resolution: 'Charger delivered' })).body.data.status).toBe('resolved');
    const closed = await act('emma', created.number, 'close');
    expect(closed.status).toBe(200);
    expect(closed.body.data).toMatchObject({ status: 'closed', closedAt: expect.any(String) });

    const events = await h.request('GET', `/tickets/${created.number}/events?limit=100`, { as: 'emma' });
    const all = events.body.data as Array<{ seq: number; type: string }>;
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.filter((e) => !e.type.startsWith('sla_')).map((e) => e.type)).toEqual([
      'created',
      'routed',
      'auto_assigned',
      'assign',
      'start',
      'wait_on_requester',
      'resume',
      'resolve',
      'reopen',
      'resolve',
      'close',
    ]);

    const handle = h.env.client.workflow.getHandle(ticketWorkflowId(created.number));
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'closed', version: all.length, projectedVersion: all.length });
  });

  test('when an illegal transition is requested, then it answers 409 and neither the workflow nor the read row changes', async () => {
    const ticket = await createTicket('Illegal transitions');
    const before = await h.env.client.workflow.getHandle(ticket.workflowId).query(stateQuery);
    const rowBefore = (await h.db.models.Ticket.findByPk(ticket.number))!.toJSON();

    const response = await act('lee', ticket.number, 'close');
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ success: false, error: { code: 'ILLEGAL_TRANSITION' } });

    const after = await h.env.client.workflow.getHandle(ticket.workflowId).query(stateQuery);
    expect(after.version).toBe(before.version);
    expect(after.status).toBe(before.status);
    expect((await h.db.models.Ticket.findByPk(ticket.number))!.toJSON()).toEqual(rowBefore);
    const history = await h.env.client.workflow.getHandle(ticket.workflowId).fetchHistory();
    const acceptedUpdates = (history.events ?? [])
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
      .filter(Boolean);
    expect(acceptedUpdates).toEqual(['awaitCreatedUpdate']);
  });

  test('when an action carries a stale expected version, then it answers 409 STALE_VERSION', async () => {
    const ticket = await createTicket('Two agents at once');
    const first = await act('lee', ticket.number, 'start', { expectedVersion: ticket.version });
    expect(first.status).toBe(200);
    const second = await act('lee', ticket.number, 'wait_on_vendor', { reason: 'RMA', expectedVersion: ticket.version });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('STALE_VERSION');
  });

  test('when a requester tries an agent action on their own ticket, then it answers 403 and changes nothing', async () => {
    const ticket = await createTicket('Requester overreach');
    const response = await act('emma', ticket.number, 'start');
    expect(response.status).toBe(403);
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' })).body.data.version).toBe(ticket.version);
  });

  test('when the live view is asked for, then it answers from the workflow query', async () => {
    const ticket = await createTicket('Live view');
    const live = await h.request('GET', `/tickets/${ticket.number}/live`, { as: 'emma' });
    expect(live.status).toBe(200);
    expect(live.body.data).toMatchObject({
      number: ticket.number,
      workflowId: ticket.workflowId,
      status: 'assigned',
      version: ticket.version,
      projectedVersion: ticket.version,
      runId: expect.any(String),
    });
    expect(live.body.data.recentEvents.map((e: { type: string }) => e.type).filter((t: string) => !t.startsWith('sla_'))).toEqual(['created', 'routed', 'auto_assigned']);
    expect(live.body.data.slaSummary.firstResponse).toMatchObject({ targetMinutes: 60, state: expect.stringMatching(/running|not_started/) });
  });

  test('when the workflow is inspected in Temporal, then it carries the summary and current search attributes', async () => {
    const ticket = await createTicket('Searchable in Temporal UI');
    await act('lee', ticket.number, 'start');
    const description = await h.env.client.workflow.getHandle(ticket.workflowId).describe();
    expect(await description.staticSummary()).toBe(`#${ticket.number} Searchable in Temporal UI`);
    const attributes = Object.fromEntries(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]));
    expect(attributes).toMatchObject({ TicketStatus: 'in_progress', TicketPriority: 'high', TicketTeam: 'it-service-desk', TicketDepartment: 'IT', SlaBreached: false });
  });

  test('when an agent sets priority in bulk, then visible tickets change and the others report 404', async () => {
    const a = await createTicket('Bulk one');
    const b = await createTicket('Bulk two');
    const payroll = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': key() },
      body: { title: 'Not for IT', description: 'HR only', categoryId: await h.categoryId('hr-payroll') },
    });
    const bulk = await h.request('POST', '/tickets/bulk/actions/set_priority', {
      as: 'lee',
      body: { numbers: [a.number, b.number, payroll.body.data.number], priority: 'low', reason: 'Hardware backlog review' },
    });
    expect(bulk.body.data.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 404]);
    expect((await h.request('GET', `/tickets/${a.number}`, { as: 'emma' })).body.data.priority).toBe('low');
    const invalid = await h.request('POST', '/tickets/bulk/actions/resolve', { as: 'lee', body: { numbers: [a.number] } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0].field).toBe('action');
  });
});
