import crypto from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import { createTicketWorker } from '../../temporal/worker';
import { ticketWorkflowId } from '../../workflows/definitions';
import { startHarness, type Harness } from '../support/harness';

/**
 * A release rollout with Worker Deployment Versioning, two builds side by side on one task
 * queue: tickets are pinned to the build that started them, a new current build takes new
 * tickets, and a running ticket moves to the new build at its next continue-as-new.
 */
let h: Harness;
const logger = pino({ level: 'silent' });
const deploymentName = `durable-ticketing-${crypto.randomUUID().slice(0, 8)}`;
const running: Array<{ worker: Worker; run: Promise<void> }> = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 120_000);

afterAll(async () => {
  for (const { worker, run } of running) {
    worker.shutdown();
    await run;
  }
  await h?.stop();
});

async function startBuild(buildId: string): Promise<void> {
  const worker = await createTicketWorker({
    connection: h.env.nativeConnection,
    namespace: h.config.temporal.namespace,
    taskQueue: h.taskQueue,
    deps: { sequelize: h.db.sequelize, models: h.db.models, logger },
    logger,
    workflowBundle: h.bundle,
    deployment: { deploymentName, buildId },
  });
  running.push({ worker, run: worker.run() });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Makes a build current once its workers have registered the version with the server. */
async function makeCurrent(buildId: string): Promise<void> {
  await waitFor(`build ${buildId} to become current`, async () => {
    await h.env.client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: h.config.temporal.namespace, deploymentName, buildId, identity: 'rollout-test' });
    return true;
  });
}

async function pinnedBuild(number: number): Promise<{ buildId: string | undefined; behavior: unknown; runId: string }> {
  const description = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).describe();
  const info = description.raw.workflowExecutionInfo?.versioningInfo;
  return { buildId: info?.deploymentVersion?.buildId ?? undefined, behavior: info?.behavior, runId: description.runId };
}

async function createTicket(title: string): Promise<number> {
  const categoryId = await h.categoryId('it-laptop');
  const created = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title, description: 'rollout', categoryId, priority: 'low' },
  });
  expect(created.status).toBe(201);
  return created.body.data.number as number;
}

test('two builds side by side: tickets stay on the build that started them and move to the new current build at continue-as-new', async () => {
  await startBuild('v1');
  await makeCurrent('v1');
  const old = await createTicket('Started on v1');
  expect(await pinnedBuild(old)).toMatchObject({ buildId: 'v1', behavior: 1 /* VERSIONING_BEHAVIOR_PINNED */ });
  const firstRun = (await pinnedBuild(old)).runId;

  await startBuild('v2');
  await makeCurrent('v2');
  const fresh = await createTicket('Started on v2');
  expect(await pinnedBuild(fresh)).toMatchObject({ buildId: 'v2', behavior: 1 });

  // The old ticket's next change runs on v1 (pinned), which sees the new target and continues as new onto v2.
  const started = await h.request('POST', `/tickets/${old}/actions/start`, { as: 'lee', body: {} });
  expect(started.status).toBe(200);
  const moved = await waitFor(`ticket ${old} to continue as new onto v2`, async () => {
    const now = await pinnedBuild(old);
    return now.runId !== firstRun && now.buildId === 'v2' ? now : undefined;
  });
  expect(moved.behavior).toBe(1);
  // The carried state came along: the new run answers with the ticket as it was.
  const detail = await h.request('GET', `/tickets/${old}`, { as: 'lee' });
  expect(detail.body.data).toMatchObject({ number: old, status: 'in_progress', title: 'Started on v1' });
  const resolved = await h.request('POST', `/tickets/${old}/actions/resolve`, { as: 'lee', body: { resolution: 'Done on v2' } });
  expect(resolved.status).toBe(200);
}, 150_000);
