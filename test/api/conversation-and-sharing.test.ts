import crypto from 'node:crypto';
import type { DemoUserKey } from '../support/demo-accounts';
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

async function ticket(title: string) {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title, description: 'Screen flickers', categoryId: laptopCategoryId, priority: 'high' },
  });
  return response.body.data;
}

const say = (as: DemoUserKey, number: number, body: string, visibility: 'public' | 'internal' = 'public') =>
  h.request('POST', `/tickets/${number}/messages`, { as, body: { body, visibility } });

describe('conversation', () => {
  test('when an agent writes an internal note, then no requester-visible answer carries it', async () => {
    const t = await ticket('Internal note stays internal');
    expect((await say('lee', t.number, 'Requester is on the VIP list, handle gently', 'internal')).status).toBe(201);
    expect((await say('lee', t.number, 'We are on it')).status).toBe(201);

    for (const path of [`/tickets/${t.number}`, `/tickets/${t.number}/events?limit=100`, `/tickets/${t.number}/messages`, `/tickets/${t.number}/live`]) {
      const asRequester = await h.request('GET', path, { as: 'emma' });
      expect(asRequester.status).toBe(200);
      expect(JSON.stringify(asRequester.body)).not.toContain('VIP list');
    }
    const messages = await h.request('GET', `/tickets/${t.number}/messages`, { as: 'emma' });
    expect(messages.body.data.map((m: { body: string }) => m.body)).toEqual(['We are on it']);
    const staff = await h.request('GET', `/tickets/${t.number}/messages`, { as: 'lee' });
    expect(staff.body.data.map((m: { visibility: string }) => m.visibility)).toEqual(['internal', 'public']);
  });

  test('when a requester tries to write an internal note, then it is refused', async () => {
    const t = await ticket('Requester note');
    const response = await say('emma', t.number, 'sneaky', 'internal');
    expect(response.status).toBe(403);
    expect(response.body.error.details[0].field).toBe('visibility');
  });

  test('when the first public agent reply is sent, then the first-response clock stops; an internal note does not stop it', async () => {
    const t = await ticket('First response');
    await say('lee', t.number, 'checking logs', 'internal');
    expect((await h.request('GET', `/tickets/${t.number}`, { as: 'lee' })).body.data.firstResponseAt).toBeNull();
    const replied = await say('lee', t.number, 'Hello Emma, we are on it');
    expect(replied.body.data).toMatchObject({ firstResponseAt: expect.any(String), firstResponseDue: null, sla: { firstResponse: { state: 'met' } } });
  });

  test('when the requester answers a ticket waiting on them, then work resumes', async () => {
    const t = await ticket('Waiting on requester');
    const agent = (['alex', 'sam', 'lee'] as const)[[await h.userId('alex'), await h.userId('sam'), await h.userId('lee')].indexOf(t.assigneeId)]!;
    await h.request('POST', `/tickets/${t.number}/actions/start`, { as: agent, body: {} });
    await h.request('POST', `/tickets/${t.number}/actions/wait_on_requester`, { as: agent, body: { reason: 'Which model?' } });
    const answered = await say('emma', t.number, 'The 14 inch one');
    expect(answered.body.data.status).toBe('in_progress');
  });

  test('when someone unrelated tries to write, then 404 as if the ticket did not exist', async () => {
    const t = await ticket('Stranger');
    expect((await say('priya', t.number, 'hi')).status).toBe(404);
  });
});

describe('transfer and share', () => {
  test('when a ticket is shared read-only with another team, then its agents see it but may not write', async () => {
    const t = await ticket('Share with facilities');
    const facilities = (await h.request('GET', '/teams', { as: 'lee' })).body.data.find((x: { code: string }) => x.code === 'facilities-ops');
    expect((await h.request('GET', `/tickets/${t.number}`, { as: 'frank' })).status).toBe(404);
    const shared = await h.request('POST', `/tickets/${t.number}/actions/share`, { as: 'lee', body: { teamId: facilities.id, access: 'read' } });
    expect(shared.status).toBe(200);
    expect(shared.body.data.shares).toEqual([{ teamId: facilities.id, access: 'read' }]);
    const readOnly = await h.request('GET', `/tickets/${t.number}`, { as: 'frank' });
    expect(readOnly.status).toBe(200);
    // The detail offers what the workflow allows: reading the notes, writing nothing.
    expect(readOnly.body.data).toMatchObject({ seesInternal: true, canReply: false, canWriteInternal: false, canEditCustomFields: false });
    expect((await say('frank', t.number, 'we can help')).status).toBe(403);
    await h.request('POST', `/tickets/${t.number}/actions/share`, { as: 'lee', body: { teamId: facilities.id, access: 'write' } });
    expect((await h.request('GET', `/tickets/${t.number}`, { as: 'frank' })).body.data).toMatchObject({ canReply: true, canWriteInternal: true, canEditCustomFields: true });
    expect((await say('frank', t.number, 'we can help')).status).toBe(201);
  });

  test('when a ticket is transferred, then the new team owns it, the old team loses it, and the event says from where', async () => {
    const t = await ticket('Transfer to people ops');
    const peopleOps = (await h.request('GET', '/teams', { as: 'lee' })).body.data.find((x: { code: string }) => x.code === 'people-ops');
    const missingReason = await h.request('POST', `/tickets/${t.number}/actions/transfer`, { as: 'lee', body: { teamId: peopleOps.id } });
    expect(missingReason.status).toBe(400);
    expect(missingReason.body.error.details[0].field).toBe('reason');
    const moved = await h.request('POST', `/tickets/${t.number}/actions/transfer`, { as: 'lee', body: { teamId: peopleOps.id, reason: 'It is an HR matter' } });
    // The ticket left Lee's teams: the answer confirms the move without showing the ticket further.
    expect(moved.status).toBe(200);
    expect(moved.body.data).toMatchObject({ teamId: peopleOps.id, status: 'new', visibleToYou: false });
    expect((await h.request('GET', `/tickets/${t.number}`, { as: 'emma' })).body.data).toMatchObject({ teamName: 'People Operations', assigneeId: null });
    expect((await h.request('GET', `/tickets/${t.number}`, { as: 'sam' })).status).toBe(404);
    expect((await h.request('GET', `/tickets/${t.number}`, { as: 'harper' })).status).toBe(200);
    const events = await h.request('GET', `/tickets/${t.number}/events?limit=100`, { as: 'harper' });
    expect(events.body.data.find((e: { type: string }) => e.type === 'transfer').data).toMatchObject({ fromTeamName: 'IT Service Desk', teamName: 'People Operations' });
  });
});

describe('in-portal notifications', () => {
  test('when an approval is requested, then the approver has an unread notification they can mark read, and nobody else can', async () => {
    const catalog = await h.request('GET', '/catalog', { as: 'emma' });
    const purchase = catalog.body.data.categories.find((c: { code: string }) => c.code === 'fin-purchase').id;
    const created = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Monitor arms', description: 'Two', categoryId: purchase, customFields: { amount: 120, vendor: 'Ergo' } },
    });
    const unread = await h.request('GET', '/notifications/unread-count', { as: 'mark' });
    expect(unread.body.data.unread).toBeGreaterThanOrEqual(1);
    const list = await h.request('GET', '/notifications?unread=true', { as: 'mark' });
    const mine = list.body.data.find((n: { ticketNumber: number }) => n.ticketNumber === created.body.data.number);
    expect(mine).toMatchObject({ kind: 'approval_requested', readAt: null });

    expect((await h.request('POST', `/notifications/${encodeURIComponent(mine.id)}/read`, { as: 'emma' })).status).toBe(404);
    expect((await h.request('POST', `/notifications/${encodeURIComponent(mine.id)}/read`, { as: 'mark' })).status).toBe(200);
    const after = await h.request('GET', '/notifications/unread-count', { as: 'mark' });
    expect(after.body.data.unread).toBe(unread.body.data.unread - 1);
    await h.request('POST', '/notifications/read-all', { as: 'mark' });
    expect((await h.request('GET', '/notifications/unread-count', { as: 'mark' })).body.data.unread).toBe(0);
  });
});
