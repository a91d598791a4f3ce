import crypto from 'node:crypto';
import { CONTINUE_AS_NEW_KEY } from '../../lib/db/seed';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let purchaseCategoryId: number;

beforeAll(async () => {
  h = await startHarness();
  purchaseCategoryId = await h.categoryId('fin-purchase');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function purchase(amount: number, as: DemoUserKey = 'emma') {
  const response = await h.request('POST', '/tickets', {
    as,
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: `Purchase of ${amount}`, description: 'Licences', categoryId: purchaseCategoryId, customFields: { amount, vendor: 'Acme' } },
  });
  expect(response.status).toBe(201);
  return response.body.data;
}

/**
 * A delegation in force on the day the server reckons "today", whatever its time zone and on either
 * side of midnight: from the day before `now` to the day after (a one-day range made from the
 * test's own clock broke when the server's day had already turned).
 */
const inForce = (now: Date) => {
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  return { startsOn: day(-1), endsOn: day(1) };
};

const decide = (as: DemoUserKey, number: number, decision: string, body: Record<string, unknown> = {}) =>
  h.request('POST', `/tickets/${number}/approval/${decision}`, { as, body });

/** A person switched off in the directory (as a leaver is), by id; `reactivate` switches them back on for the tests after. */
async function deactivated(who: DemoUserKey): Promise<number> {
  const id = await h.userId(who);
  await h.db.models.User.update({ active: false }, { where: { id } });
  return id;
}
async function reactivate(who: DemoUserKey): Promise<void> {
  await h.db.models.User.update({ active: true }, { where: { id: await h.userId(who) } });
}

const approverNames = (ticket: { approval: { steps: Array<{ name: string; approverIds: number[] }> } }) =>
  ticket.approval.steps.map((s) => [s.name, s.approverIds]);

describe('approval chains over HTTP', () => {
  test('when the head of Finance, who has no manager, raises a purchase request, then it is created and its timeline says which steps moved up to whom and why', async () => {
    const ticket = await purchase(2500, 'carla');
    expect(ticket.status).toBe('pending_approval');
    const ada = await h.userId('ada');
    expect(approverNames(ticket)).toEqual([
      ['Manager', [ada]],
      ['Department head', [ada]],
    ]);
    const events = (await h.request('GET', `/tickets/${ticket.number}/events?limit=100`, { as: 'carla' })).body.data as Array<{ type: string; data: Record<string, unknown> }>;
    expect(events.filter((e) => e.type === 'approval_step_escalated').map((e) => [e.data.name, e.data.reason])).toEqual([
      ['Manager', "the requester's manager resolves to nobody for Carla CFO; moved up to an admin, Ada Admin"],
      ['Department head', 'the only approver, the department head, is the requester; moved up to an admin, Ada Admin'],
    ]);
  });

  test.each([
    [500, [['Manager', ['mark']]]],
    [2500, [['Manager', ['mark']], ['Department head', ['carla']]]],
    [12000, [['Manager', ['mark']], ['Department head', ['carla']], ['Finance committee', ['carla', 'fiona', 'hannah']]]],
  ] as const)('when a purchase of %d is raised, then it waits for exactly the right approvers', async (amount, expected) => {
    const ticket = await purchase(amount);
    expect(ticket.status).toBe('pending_approval');
    const ids = Object.fromEntries(await Promise.all((['mark', 'carla', 'fiona', 'hannah'] as const).map(async (k) => [k, await h.userId(k)])));
    const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
    expect(approverNames(ticket).map(([name, people]) => [name, sorted(people as number[])])).toEqual(
      expected.map(([name, people]) => [name, sorted(people.map((p) => ids[p]))]),
    );
    const pending = await h.request('GET', '/approvals/pending', { as: 'mark' });
    expect(pending.body.data.map((p: { ticket: { number: number } }) => p.ticket.number)).toContain(ticket.number);
  });

  test('when the department head rejects at step 2, then the chain ends and the ticket is rejected with the reason', async () => {
    const ticket = await purchase(2500);
    expect((await decide('mark', ticket.number, 'approve')).body.data.status).toBe('pending_approval');
    const noReason = await decide('carla', ticket.number, 'reject');
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].field).toBe('reason');
    const rejected = await decide('carla', ticket.number, 'reject', { reason: 'Use the existing licences' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.data).toMatchObject({ status: 'rejected', approval: { outcome: 'rejected' } });
    expect((await decide('fiona', ticket.number, 'approve')).status).toBe(409);
  });

  test('when a later step waits its turn, then its approver does not see the ticket yet, nor after an earlier step rejects it; who decided keeps seeing it', async () => {
    const ticket = await purchase(12000);
    const sees = async (who: DemoUserKey) => (await h.request('GET', `/tickets/${ticket.number}`, { as: who })).status;
    expect({ mark: await sees('mark'), hannah: await sees('hannah') }).toEqual({ mark: 200, hannah: 404 });
    expect((await decide('mark', ticket.number, 'approve')).status).toBe(200);
    expect((await decide('carla', ticket.number, 'reject', { reason: 'Not this year' })).body.data?.status).toBe('rejected');
    expect({ mark: await sees('mark'), carla: await sees('carla'), hannah: await sees('hannah') }).toEqual({ mark: 200, carla: 200, hannah: 404 });
    const listed = await h.request('GET', '/tickets?scope=all&limit=100', { as: 'hannah' });
    expect(listed.body.data.map((t: { number: number }) => t.number)).not.toContain(ticket.number);
  });

  test('when the approver asks for information, then the requester reply resumes the same step', async () => {
    const ticket = await purchase(500);
    const asked = await decide('mark', ticket.number, 'request_info', { question: 'Which cost centre?' });
    expect(asked.body.data.approval.infoRequest).toMatchObject({ question: 'Which cost centre?' });
    // The question waits for its answer: asking again is not offered (the workflow would refuse it).
    expect(asked.body.data.approvalActions).toEqual(['approve', 'reject', 'delegate']);
    const replied = await h.request('POST', `/tickets/${ticket.number}/messages`, { as: 'emma', body: { body: 'CC-4711' } });
    expect(replied.status).toBe(201);
    expect(replied.body.data.approval).toMatchObject({ current: 0, infoRequest: null });
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'mark' })).body.data.approvalActions).toEqual(['approve', 'reject', 'request_info', 'delegate']);
    const approved = await decide('mark', ticket.number, 'approve');
    expect(approved.body.data.status).not.toBe('pending_approval');
    const types = (await h.request('GET', `/tickets/${ticket.number}/events?limit=100`, { as: 'emma' })).body.data.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['approval_info_requested', 'public_reply', 'approval_info_answered', 'approval_approved', 'approved']));
  });

  test('when an approver delegates, then the delegate can act and the record says on whose behalf', async () => {
    const ticket = await purchase(500);
    const dana = await h.userId('dana');
    const mark = await h.userId('mark');
    for (const toUserId of [987_654, await deactivated('nina')]) {
      const refused = await decide('mark', ticket.number, 'delegate', { toUserId });
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([{ field: 'toUserId', message: 'is not an active person in the directory' }]);
    }
    await reactivate('nina');
    expect((await decide('mark', ticket.number, 'delegate', { toUserId: dana })).status).toBe(200);
    expect((await decide('mark', ticket.number, 'approve')).status).toBe(403);
    const approved = await decide('dana', ticket.number, 'approve');
    expect(approved.status).toBe(200);
    expect(approved.body.data.approval.steps[0].decisions[0]).toMatchObject({ approverId: mark, actedBy: dana, decision: 'approve' });
  });

  test('when a standing delegation is in force, then the delegate sees the approval in their queue and may decide', async () => {
    const { startsOn, endsOn } = inForce(new Date());
    await h.db.models.Delegation.create({ from_user_id: await h.userId('mark'), to_user_id: await h.userId('felix'), starts_on: startsOn, ends_on: endsOn, created_at: new Date() });
    const ticket = await purchase(300);
    const queue = await h.request('GET', '/approvals/pending', { as: 'felix' });
    expect(queue.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ onBehalfOf: await h.userId('mark'), ticket: expect.objectContaining({ number: ticket.number }) })]));
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'felix' })).status).toBe(200);
    const approved = await decide('felix', ticket.number, 'approve');
    expect(approved.body.data.approval.steps[0].decisions[0]).toMatchObject({ approverId: await h.userId('mark'), actedBy: await h.userId('felix') });
  });

  test('when a delegation is created while a step waits, then the delegate sees it with the buttons and may approve it', async () => {
    // Mark's earlier delegations would otherwise decide who acts for him.
    await h.db.models.Delegation.destroy({ where: { from_user_id: await h.userId('mark') } });
    const ticket = await purchase(310);
    const frank = await h.userId('frank');
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'frank' })).status).toBe(404);
    const delegated = await h.request('POST', '/approvals/delegations', { as: 'mark', body: { toUserId: frank, ...inForce(new Date()) } });
    expect(delegated.status).toBe(201);
    const queue = await h.request('GET', '/approvals/pending?limit=100', { as: 'frank' });
    expect(queue.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ step: 0, onBehalfOf: await h.userId('mark'), ticket: expect.objectContaining({ number: ticket.number }) })]));
    const seen = await h.request('GET', `/tickets/${ticket.number}`, { as: 'frank' });
    expect(seen.body.data.approvalActions).toContain('approve');
    const approved = await decide('frank', ticket.number, 'approve', { step: 0 });
    expect(approved.status).toBe(200);
    expect(approved.body.data.approval.steps[0].decisions[0]).toMatchObject({ approverId: await h.userId('mark'), actedBy: frank });
    await h.request('DELETE', `/approvals/delegations/${delegated.body.data.id}`, { as: 'mark' });
  });

  test('when a standing delegation is revoked while a step waits, then the old delegate may no longer decide and no longer sees it as theirs', async () => {
    // An admin delegate still sees every ticket, so what stops them is the decision rule itself, not visibility.
    const ada = await h.userId('ada');
    await h.db.models.Delegation.destroy({ where: { from_user_id: await h.userId('mark') } });
    const delegated = await h.request('POST', '/approvals/delegations', { as: 'mark', body: { toUserId: ada, ...inForce(new Date()) } });
    expect(delegated.status).toBe(201);
    const ticket = await purchase(320);
    expect((await h.request('GET', '/approvals/pending?limit=100', { as: 'ada' })).body.data.map((p: { ticket: { number: number } }) => p.ticket.number)).toContain(ticket.number);
    expect((await h.request('DELETE', `/approvals/delegations/${delegated.body.data.id}`, { as: 'mark' })).status).toBe(200);
    expect((await h.request('GET', '/approvals/pending?limit=100', { as: 'ada' })).body.data.map((p: { ticket: { number: number } }) => p.ticket.number)).not.toContain(ticket.number);
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'ada' })).body.data.approvalActions).toEqual([]);
    const refused = await decide('ada', ticket.number, 'approve', { step: 0 });
    expect(refused.status).toBe(403);
    const after = await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' });
    expect(after.body.data).toMatchObject({ status: 'pending_approval', version: ticket.version });
    expect(after.body.data.approval.steps[0].decisions).toEqual([]);
  });

  test('when the requester tries to approve their own ticket, then it is refused and nothing changes', async () => {
    const ticket = await purchase(500, 'mark');
    // Mark's own manager approves Mark's purchases; Mark may see but never decide.
    const attempt = await decide('mark', ticket.number, 'approve');
    expect(attempt.status).toBe(403);
    expect(attempt.body.error.message).toMatch(/own ticket/);
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'mark' })).body.data.version).toBe(ticket.version);
  });

  test('when an approval is clicked twice, then the second click changes nothing', async () => {
    const ticket = await purchase(2500);
    const first = await decide('mark', ticket.number, 'approve');
    const second = await decide('mark', ticket.number, 'approve');
    expect(second.status).toBe(200);
    expect(second.body.data.version).toBe(first.body.data.version);
    expect(second.body.data.approval.steps[0].decisions).toHaveLength(1);
  });

  test('when the workflow continues as new in the middle of a chain, then no decision, event or state is lost', async () => {
    await h.db.models.AppMeta.upsert({ key: CONTINUE_AS_NEW_KEY, value: '25' });
    try {
      const ticket = await purchase(12000);
      const handle = h.env.client.workflow.getHandle(ticket.workflowId);
      const firstRun = (await handle.describe()).runId;
      await decide('mark', ticket.number, 'approve');
      await decide('carla', ticket.number, 'approve');
      await decide('fiona', ticket.number, 'approve');
      await decide('hannah', ticket.number, 'approve');
      const secondRun = (await handle.describe()).runId;
      expect(secondRun).not.toBe(firstRun);
      const done = await decide('carla', ticket.number, 'approve');
      expect(done.status).toBe(200);
      expect(done.body.data.approval.outcome).toBe('approved');
      expect(done.body.data.approval.steps[2].decisions.map((d: { actedBy: number }) => d.actedBy).sort()).toEqual(
        [await h.userId('carla'), await h.userId('fiona'), await h.userId('hannah')].sort(),
      );
      const events = (await h.request('GET', `/tickets/${ticket.number}/events?limit=200`, { as: 'emma' })).body.data as Array<{ seq: number; type: string }>;
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      expect(events.filter((e) => e.type === 'approval_approved')).toHaveLength(5);
    } finally {
      await h.db.models.AppMeta.destroy({ where: { key: CONTINUE_AS_NEW_KEY } });
    }
  });

  test('when routine requests are approved in bulk, then each ticket reports its own outcome', async () => {
    const first = await purchase(200);
    const second = await purchase(300);
    const notMine = await purchase(400, 'mark');
    const bulk = await h.request('POST', '/approvals/bulk-approve', { as: 'mark', body: { numbers: [first.number, second.number, notMine.number] } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.data.results.map((r: { number: number; status: number }) => [r.number, r.status])).toEqual([
      [first.number, 200],
      [second.number, 200],
      [notMine.number, 403],
    ]);
    expect(bulk.body.data).toMatchObject({ succeeded: 2, failed: 1 });
    expect((await h.request('GET', `/tickets/${first.number}`, { as: 'emma' })).body.data.approval.outcome).toBe('approved');
  });

  test('when bulk approval names the step each ticket showed, then a ticket whose chain moved on answers 409 and is not approved unseen', async () => {
    const moved = await purchase(12000);
    const routine = await purchase(250, 'emma');
    // Fiona decides only on the committee step; a stale tab showing step 0 must not approve step 3.
    expect((await decide('mark', moved.number, 'approve')).status).toBe(200);
    expect((await decide('carla', moved.number, 'approve')).status).toBe(200);
    const stale = await h.request('POST', '/approvals/bulk-approve', { as: 'fiona', body: { items: [{ number: moved.number, step: 0 }] } });
    expect(stale.body.data.results).toEqual([expect.objectContaining({ number: moved.number, status: 409 })]);
    expect((await h.request('GET', `/tickets/${moved.number}`, { as: 'emma' })).body.data.approval.steps[2].decisions).toEqual([]);
    const current = await h.request('POST', '/approvals/bulk-approve', { as: 'fiona', body: { items: [{ number: moved.number, step: 2 }] } });
    expect(current.body.data.results).toEqual([{ number: moved.number, status: 200 }]);
    const both = await h.request('POST', '/approvals/bulk-approve', { as: 'mark', body: { numbers: [routine.number], items: [{ number: routine.number, step: 0 }] } });
    expect(both.status).toBe(400);
    expect(both.body.error.details[0].field).toBe('items');
  });

  test('when an approver manages their out-of-office delegations, then bad dates and people are refused and only their own can be withdrawn', async () => {
    const dana = await h.userId('dana');
    const badDates = await h.request('POST', '/approvals/delegations', { as: 'mark', body: { toUserId: dana, startsOn: '2026-12-20', endsOn: '2026-12-01' } });
    expect(badDates.status).toBe(400);
    expect(badDates.body.error.details[0].field).toBe('endsOn');
    const self = await h.request('POST', '/approvals/delegations', { as: 'mark', body: { toUserId: await h.userId('mark'), startsOn: '2026-12-01', endsOn: '2026-12-02' } });
    expect(self.body.error.details[0].field).toBe('toUserId');
    for (const toUserId of [987_654, await deactivated('nina')]) {
      const refused = await h.request('POST', '/approvals/delegations', { as: 'mark', body: { toUserId, startsOn: '2026-12-01', endsOn: '2026-12-02' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([{ field: 'toUserId', message: 'is not an active person in the directory' }]);
    }
    await reactivate('nina');
    const created = await h.request('POST', '/approvals/delegations', { as: 'mark', body: { toUserId: dana, startsOn: '2026-12-21', endsOn: '2027-01-04' } });
    expect(created.status).toBe(201);
    const mine = await h.request('GET', '/approvals/delegations', { as: 'mark' });
    expect(mine.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.body.data.id, toUserId: dana })]));
    expect((await h.request('DELETE', `/approvals/delegations/${created.body.data.id}`, { as: 'dana' })).status).toBe(404);
    expect((await h.request('DELETE', `/approvals/delegations/${created.body.data.id}`, { as: 'mark' })).status).toBe(200);
  });
});
