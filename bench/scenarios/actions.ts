import { NativeConnection, Worker } from '@temporalio/worker';
import { QueryTypes } from 'sequelize';
import type { Stack } from '../../test/support/stack';
import { summary, type Bench } from '../context';
import { percentile, round, runLoad, sleep } from '../lib';
import { echoWorkflow, pingUpdate } from '../raw-workflows';

const RAW_QUEUE = 'bench-raw';

/** Approvals through the API against a raw Update, a change's way into the list, and notifications' way to the Postmark sink. */
export async function actionScenarios(b: Bench): Promise<void> {
  if (b.wanted('approve_p95')) await approveP95(b);
  if (b.wanted('projection_lag_p99')) await projectionLag(b);
  if (b.wanted('notify_p99') && b.createdNumbers.length > 0) await notifyP99(b);
}

async function approveP95(b: Bench): Promise<void> {
  const pending: number[] = [];
  const prep = await runLoad({ clients: 5, durationMs: 120_000, maxCount: b.sizes.approve }, async (i) => {
    const res = await b.api('POST', '/tickets', 'emma', { title: `Bench purchase ${i}`, description: 'Approve me', categoryId: b.categories.purchase, priority: 'medium', customFields: { amount: 100, vendor: 'Bench' } });
    pending.push(res.data.number);
  });
  console.log(`[bench]   ${pending.length} purchases waiting for approval: ${summary(prep)}`);
  const approve = await runLoad({ clients: 1, durationMs: 120_000, maxCount: pending.length }, async (i) => {
    await b.api('POST', `/tickets/${pending[i]}/approval/approve`, 'mark', {});
  });
  // The raw baseline: an Update on a workflow that answers at once, on the same server.
  const worker = await rawWorker(b.stack);
  try {
    const handle = await b.client.workflow.start(echoWorkflow, { taskQueue: RAW_QUEUE, workflowId: `raw-echo-${Date.now()}` });
    await handle.executeUpdate(pingUpdate, { args: [0] });
    const raw = await runLoad({ clients: 1, durationMs: 60_000, maxCount: pending.length }, async (i) => {
      await handle.executeUpdate(pingUpdate, { args: [i] });
    });
    console.log(`[bench]   raw update: ${summary(raw)}`);
    b.record({ name: 'approve_p95', unit: 'ms', value: percentile(approve.latencies, 95), baseline: percentile(raw.latencies, 95), target: { max_ratio: 1.5 } }, summary(approve));
    await handle.terminate('benchmark done');
  } finally {
    await worker.stop();
  }
}

/** From sending `start` on an assigned ticket to the list showing it in progress, polled back to back. */
async function projectionLag(b: Bench): Promise<void> {
  const open = await b.db.models.Ticket.findAll({ where: { status: 'assigned' }, attributes: ['number'], limit: b.sizes.lag });
  const lags: number[] = [];
  for (const row of open) {
    const number = row.get('number') as number;
    const t0 = performance.now();
    const action = b.api('POST', `/tickets/${number}/actions/start`, 'ada', {});
    for (;;) {
      const list = await b.api('GET', `/tickets?q=${number}&limit=5`, 'ada');
      if (list.data.some((t: { number: number; status: string }) => t.number === number && t.status === 'in_progress')) break;
      if (performance.now() - t0 > 30_000) throw new Error(`ticket ${number} not visible as in_progress within 30 s`);
    }
    lags.push(performance.now() - t0);
    await action;
  }
  b.record({ name: 'projection_lag_p99', unit: 'ms', value: percentile(lags, 99), baseline: null, target: { max: 1000 } }, `n=${lags.length} p50=${round(percentile(lags, 50))}`);
}

/** From a created ticket's `created_at` to its emails' `sent_at` (once the sink accepted them). */
async function notifyP99(b: Bench): Promise<void> {
  const sample = b.createdNumbers.slice(0, 200);
  const sentTimes = () =>
    b.db.sequelize.query<{ created_at: string; sent_at: string | null; status: string; attempts: number; error: string | null }>(
      `SELECT t.created_at AS created_at, o.sent_at AS sent_at, o.status AS status, o.attempts AS attempts, o.error AS error FROM email_outbox o JOIN tickets t ON t.number = o.ticket_number WHERE o.ticket_number IN (${sample.join(',')})`,
      { type: QueryTypes.SELECT },
    );
  const until = Date.now() + 60_000;
  let rows = await sentTimes();
  while (rows.some((r) => !r.sent_at) && Date.now() < until) {
    await sleep(1000);
    rows = await sentTimes();
  }
  const unsent = rows.filter((r) => !r.sent_at);
  const values = rows.map((r) => (r.sent_at ? new Date(r.sent_at).getTime() : until) - new Date(r.created_at).getTime());
  // Why an email is unsent (its outbox status, attempts and last error) is the first thing to know about a missed target.
  const why = [...new Set(unsent.map((r) => `${r.status}/${r.attempts}: ${(r.error ?? '').slice(0, 120)}`))].slice(0, 5);
  if (values.length > 0)
    b.record(
      { name: 'notify_p99', unit: 'ms', value: percentile(values, 99), baseline: null, target: { max: 5000 } },
      `emails=${values.length} unsent=${unsent.length} p50=${round(percentile(values, 50))}${why.length ? `; unsent as ${why.join(' | ')}` : ''}`,
    );
  else b.note('notify_p99: no email was recorded for the created tickets');
}

/** A worker for the raw baselines' workflows, in this process, on its own task queue. */
async function rawWorker(stack: Stack): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({ connection, taskQueue: RAW_QUEUE, workflowsPath: require.resolve('../raw-workflows') });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
