import crypto from 'node:crypto';
import { CONTINUE_AS_NEW_KEY } from '../../lib/db/seed';
import { ticketWorkflowId } from '../../workflows/definitions';
import { startHarness, type Harness } from '../support/harness';

/**
 * Without Worker Deployment Versioning (npm start, the tests, an unversioned cluster) the
 * ticket's continue-as-new asks for AUTO_UPGRADE too; the server must accept it and the
 * ticket carry on in its new run.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.db.models.AppMeta.upsert({ key: CONTINUE_AS_NEW_KEY, value: '20' });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

test('an unversioned ticket over its history budget continues as new and keeps working', async () => {
  const categoryId = await h.categoryId('it-laptop');
  const created = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Long-lived', description: 'many changes', categoryId, priority: 'low' },
  });
  expect(created.status).toBe(201);
  const number = created.body.data.number as number;
  const handle = h.env.client.workflow.getHandle(ticketWorkflowId(number));
  const firstRun = (await handle.describe()).runId;
  for (const action of ['start', 'wait_on_requester', 'resume', 'wait_on_requester', 'resume']) {
    const body = action === 'wait_on_requester' ? { reason: 'details?' } : {};
    expect((await h.request('POST', `/tickets/${number}/actions/${action}`, { as: 'lee', body })).status).toBe(200);
  }
  const deadline = Date.now() + 30_000;
  while ((await handle.describe()).runId === firstRun) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ticket ${number} to continue as new`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const resolved = await h.request('POST', `/tickets/${number}/actions/resolve`, { as: 'lee', body: { resolution: 'Done in the new run' } });
  expect(resolved.status).toBe(200);
  expect(resolved.body.data).toMatchObject({ number, status: 'resolved', title: 'Long-lived' });
}, 120_000);
