import crypto from 'node:crypto';
import { stateQuery, ticketWorkflowId } from '../../workflows/definitions';
import type { RunningChild } from '../support/child-process';
import { startHarness, type Harness } from '../support/harness';

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

    // kill -9 while the next action is on its way: the update must survive the worker.
    const inFlight = h.request('POST', `/tickets/${number}/actions/start`, { as: 'harper', body: {} });
    await new Promise((r) => setTimeout(r, 50));
    await worker.stop('SIGKILL');
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
