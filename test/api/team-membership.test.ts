import crypto from 'node:crypto';
import { stateQuery, ticketWorkflowId, type TicketView } from '../../workflows/definitions';
import { teamMembershipFanOutWorkflowId, type FanOutProgress } from '../../workflows/fan-out';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

let h: Harness;
let laptopCategoryId: number;
let serviceDeskId: number;

beforeAll(async () => {
  h = await startHarness();
  laptopCategoryId = await h.categoryId('it-laptop');
  serviceDeskId = (await h.db.models.Team.findOne({ where: { code: 'it-service-desk' } }))!.get('id') as number;
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function createTicket(title: string) {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title, description: 'Needs a laptop before Monday', categoryId: laptopCategoryId, priority: 'high' },
  });
  expect(response.status).toBe(201);
  return response.body.data as { number: number; assigneeId: number | null };
}

const assign = (number: number, assigneeId: number) => h.request('POST', `/tickets/${number}/actions/assign`, { as: 'lee', body: { assigneeId } });
const teamVersion = async () => (await h.request('GET', `/admin/teams/${serviceDeskId}`, { as: 'ada' })).body.data.version as number;

/** The fan-out the API started for this team version, once it has told every open ticket. */
async function fannedOut(version: number): Promise<FanOutProgress> {
  return h.env.client.workflow.getHandle(teamMembershipFanOutWorkflowId(serviceDeskId, version)).result();
}

/** The ticket's live team as its workflow decides from it. */
function teamAt(number: number, version: number): Promise<TicketView> {
  return waitUntil(
    `ticket ${number} to take up the IT Service Desk membership v${version}`,
    () => h.env.client.workflow.getHandle(ticketWorkflowId(number)).query(stateQuery),
    (view) => (view.teamMemberships ?? []).some((m) => m.teamId === serviceDeskId && m.version >= version),
  );
}

describe('team membership changes reach open tickets', () => {
  test('when an admin adds one agent to a team and removes another, then its open tickets accept the added one and refuse the removed one', async () => {
    const ticket = await createTicket('Membership change while open');
    const [nina, sam] = [await h.userId('nina'), await h.userId('sam')];
    // Nina is not on the Service Desk yet: the ticket refuses her, as its team stood at start.
    expect((await assign(ticket.number, nina)).status).toBe(400);

    const v0 = await teamVersion();
    expect((await h.request('PUT', `/admin/teams/${serviceDeskId}/members/${nina}`, { as: 'ada', body: { membership: 'agent', expectedVersion: v0 } })).status).toBe(200);
    const removed = await h.request('DELETE', `/admin/teams/${serviceDeskId}/members/${sam}?expectedVersion=${v0 + 1}`, { as: 'ada' });
    expect(removed.status).toBe(200);

    // Each change started its own durable fan-out, which told the open ticket.
    expect((await fannedOut(v0 + 1)).signalled).toBeGreaterThanOrEqual(1);
    expect((await fannedOut(v0 + 2)).signalled).toBeGreaterThanOrEqual(1);
    const view = await teamAt(ticket.number, v0 + 2);
    expect(view.teamMemberships).toEqual([expect.objectContaining({ teamId: serviceDeskId, version: v0 + 2, memberIds: expect.arrayContaining([nina]) })]);
    expect(view.teamMemberships![0]!.memberIds).not.toContain(sam);

    const toNina = await assign(ticket.number, nina);
    expect(toNina.status).toBe(200);
    expect(toNina.body.data).toMatchObject({ status: 'assigned', assigneeId: nina });
    const toSam = await assign(ticket.number, sam);
    expect(toSam.status).toBe(400);
    expect(toSam.body.error.details).toEqual([expect.objectContaining({ field: 'assigneeId' })]);

    // Put the team back as it was for the next test.
    await h.request('PUT', `/admin/teams/${serviceDeskId}/members/${sam}`, { as: 'ada', body: { membership: 'agent', expectedVersion: v0 + 2 } });
    await h.request('DELETE', `/admin/teams/${serviceDeskId}/members/${nina}?expectedVersion=${v0 + 3}`, { as: 'ada' });
  });

  test('when the directory deactivates an agent, then their team\'s open tickets no longer accept them as assignee', async () => {
    const ticket = await createTicket('Deactivation while open');
    const alex = await h.userId('alex');
    const person = (await h.request('GET', `/admin/people/${alex}`, { as: 'ada' })).body.data;
    const v0 = await teamVersion();

    const deactivated = await h.request('PATCH', `/admin/people/${alex}`, { as: 'ada', body: { active: false, expectedVersion: person.version } });
    expect(deactivated.status).toBe(200);
    // Alex stays on the team's roll, but who is active is part of the team as tickets see it: its version moved.
    expect(await teamVersion()).toBe(v0 + 1);
    await fannedOut(v0 + 1);
    const view = await teamAt(ticket.number, v0 + 1);
    expect(view.teamMemberships![0]!.memberIds).not.toContain(alex);

    const toAlex = await assign(ticket.number, alex);
    expect(toAlex.status).toBe(400);
    expect(toAlex.body.error.details).toEqual([expect.objectContaining({ field: 'assigneeId' })]);
  });
});
