import crypto from 'node:crypto';
import { Transaction } from 'sequelize';
import { stateQuery, ticketWorkflowId } from '../../workflows/definitions';
import type { RunningChild } from '../support/child-process';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

let h: Harness;
let worker: RunningChild | undefined;

beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 120_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await h?.stop();
});

async function startWorker(): Promise<RunningChild> {
  const child = h.spawnWorkerProcess();
  // The worker logs one JSON line once it polls; anything before that is start-up.
  await child.firstJsonLine;
  return child;
}

describe('a worker killed in the middle of a lifecycle', () => {
  test('when the worker dies with an action in flight and another starts, then nothing is lost or duplicated', async () => {
    worker = await startWorker();
    const catalog = await h.request('GET', '/catalog', { as: 'emma' });
    const categoryId = catalog.body.data.categories.find((c: { code: string }) => c.code === 'hr-payroll').id;
    const created = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Payslip is missing overtime', description: 'October payslip', categoryId },
    });
    expect(created.status).toBe(201);
    const { number } = created.body.data;
    const harper = await h.userId('harper');
    expect((await h.request('POST', `/tickets/${number}/actions/assign`, { as: 'harper', body: { assigneeId: harper } })).status).toBe(200);

    // kill -9 with the next action in flight, at a point the test controls: the ticket's row is
    // held so the accepted update's projection cannot finish, and the kill waits for history to
    // show the update accepted and not completed.
    const handle = h.env.client.workflow.getHandle(ticketWorkflowId(number));
    const key = crypto.randomUUID();
    const updateEvents = async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const ours = (id: string | null | undefined) => Boolean(id?.includes(key));
      return {
        accepted: events.some((e) => ours(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId)),
        completed: events.some((e) => ours(e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId)),
      };
    };
    const sqlite = h.db.database.dialect === 'sqlite';
    const lock = await h.db.sequelize.transaction(sqlite ? { type: Transaction.TYPES.IMMEDIATE } : {});
    let inFlight!: Promise<{ status: number; body: any }>;
    try {
      await h.db.sequelize.query('UPDATE tickets SET title = title WHERE number = ?', { replacements: [number], transaction: lock });
      inFlight = h.request('POST', `/tickets/${number}/actions/start`, { as: 'harper', headers: { 'Idempotency-Key': key }, body: {} });
      const atKill = await waitUntil('history to show the start update accepted', updateEvents, (e) => e.accepted, { timeoutMs: 30_000, intervalMs: 50 });
      expect(atKill).toEqual({ accepted: true, completed: false });
      await worker.stop('SIGKILL');
    } finally {
      await lock.rollback();
    }
    worker = await startWorker();
    const started = await inFlight;
    expect(started.status).toBe(200);
    expect(started.body.data.status).toBe('in_progress');

    await worker.stop('SIGKILL');
    worker = await startWorker();
    const resolved = await h.request('POST', `/tickets/${number}/actions/resolve`, { as: 'harper', body: { resolution: 'Corrected payslip issued' } });
    expect(resolved.status).toBe(200);

    const live = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).query(stateQuery);
    expect(live).toMatchObject({ status: 'resolved', projectedVersion: live.version });
    const events = await h.request('GET', `/tickets/${number}/events?limit=200`, { as: 'emma' });
    const all = events.body.data as Array<{ seq: number; type: string }>;
    // Every event once, numbered without gaps, and the lifecycle in order.
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: live.version }, (_, i) => i + 1));
    expect(all.filter((e) => !e.type.startsWith('sla_')).map((e) => e.type)).toEqual(['created', 'routed', 'assign', 'start', 'resolve']);
    const row = await h.db.models.Ticket.findByPk(number);
    expect(row!.get('status')).toBe('resolved');
    expect(row!.get('seq')).toBe(live.version);
  }, 120_000);
});
