import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { QueryTypes } from 'sequelize';
import type { Stack } from '../../test/support/stack';
import { summary, type Bench } from '../context';
import { eventMillis, percentile, phaseSummary, round, runLoad, sleep } from '../lib';
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
  const calls: Array<{ number: number; at: number; answeredAt: number }> = [];
  const approve = await runLoad({ clients: 1, durationMs: 120_000, maxCount: pending.length }, async (i) => {
    const at = Date.now();
    await b.api('POST', `/tickets/${pending[i]}/approval/approve`, 'mark', {});
    calls.push({ number: pending[i]!, at, answeredAt: Date.now() });
  });
  b.note(`approvals, where the time goes (p50 / p95 ms): ${await updatePhases(b, calls)}`);
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

/**
 * Splits each approval's time at the instants the ticket's history records for the workflow
 * task that took the Update (the first task scheduled after the call): the API's work before
 * the Update reaches Temporal, the task's wait for a worker, its run (the decision and its
 * projection), and what follows until the answer reaches the client (the API's detail read).
 */
async function updatePhases(b: Bench, calls: Array<{ number: number; at: number; answeredAt: number }>): Promise<string> {
  const E = temporal.api.enums.v1.EventType;
  const phases: Record<string, number[]> = { 'api before the update': [], 'task queued': [], 'task in worker': [], 'after the task': [], whole: [] };
  for (const call of calls) {
    const events = (await b.client.workflow.getHandle(`ticket-${call.number}`).fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && eventMillis(e.eventTime) >= call.at);
    if (!scheduled) continue;
    const after = (type: number) => eventMillis(events.find((e) => e.eventType === type && Number(e.eventId) > Number(scheduled.eventId))?.eventTime);
    const taskStarted = after(E.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const taskCompleted = after(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    phases['api before the update']!.push(eventMillis(scheduled.eventTime) - call.at);
    phases['task queued']!.push(taskStarted - eventMillis(scheduled.eventTime));
    phases['task in worker']!.push(taskCompleted - taskStarted);
    phases['after the task']!.push(call.answeredAt - taskCompleted);
    phases.whole!.push(call.answeredAt - call.at);
  }
  return phaseSummary(phases);
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

/**
 * From the ticket event that called for each email (its `occurred_at` on the timeline) to the
 * email's `sent_at` (once the sink accepted it), over every email of the first 200 created
 * tickets: their creation notices, and the notices of whatever later scenarios did to them
 * (projection_lag starts some of them). Measuring from the ticket's creation instead would
 * count the time between a create and a later action as email delay.
 */
async function notifyP99(b: Bench): Promise<void> {
  const sample = b.createdNumbers.slice(0, 200);
  const emails = () =>
    b.db.sequelize.query<{ notification_id: string; ticket_number: number; recorded_at: string; sent_at: string | null; status: string; attempts: number; error: string | null }>(
      `SELECT notification_id, ticket_number, created_at AS recorded_at, sent_at, status, attempts, error FROM email_outbox WHERE ticket_number IN (${sample.join(',')})`,
      { type: QueryTypes.SELECT },
    );
  const until = Date.now() + 60_000;
  let rows = await emails();
  while (rows.some((r) => !r.sent_at) && Date.now() < until) {
    await sleep(1000);
    rows = await emails();
  }
  const events = await b.db.sequelize.query<{ ticket_number: number; seq: number; occurred_at: string }>(
    `SELECT ticket_number, seq, occurred_at FROM ticket_events WHERE ticket_number IN (${sample.join(',')})`,
    { type: QueryTypes.SELECT },
  );
  const occurredAt = new Map(events.map((e) => [`${e.ticket_number}:${e.seq}`, new Date(e.occurred_at).getTime()]));
  // Notification ids of timeline events name them: `ticket-<number>:event-<seq>:<group>`. Approval
  // and escalation notices (`ticket-<n>:approval:…`, `ticket-<n>:sla:…`) name no event and are not timed.
  // MariaDB keeps these instants to the second, so there each difference is ±1 s.
  const eventOf = (r: { notification_id: string }) => {
    const m = /^ticket-(\d+):event-(\d+):/.exec(r.notification_id);
    return m ? occurredAt.get(`${m[1]}:${m[2]}`) : undefined;
  };
  const timed = rows.map((r) => ({ ...r, event: eventOf(r) })).filter((r): r is typeof r & { event: number } => r.event !== undefined);
  // Every email counts as unsent or not, timed or not (an approval or escalation email too).
  const unsent = rows.filter((r) => !r.sent_at);
  const values = timed.map((r) => (r.sent_at ? new Date(r.sent_at).getTime() : until) - r.event);
  // Why an email is unsent (its outbox status, attempts and last error) is the first thing to know about a missed target.
  const why = [...new Set(unsent.map((r) => `${r.status}/${r.attempts}: ${(r.error ?? '').slice(0, 120)}`))].slice(0, 5);
  // Where a slow email waited: before it was recorded (by `projectAndNotify` with the change's projection,
  // or by `notifyAll` for older tickets and after a failed recording), or after (the sending).
  const sent = timed.filter((r) => r.sent_at);
  const toRecorded = sent.map((r) => new Date(r.recorded_at).getTime() - r.event);
  const toSent = sent.map((r) => new Date(r.sent_at!).getTime() - new Date(r.recorded_at).getTime());
  const retried = sent.filter((r) => r.attempts > 1).length;
  const untimed = rows.length - timed.length;
  if (values.length > 0)
    b.record(
      { name: 'notify_p99', unit: 'ms', value: percentile(values, 99), baseline: null, target: { max: 5000 } },
      `emails=${values.length} unsent=${unsent.length} p50=${round(percentile(values, 50))}; event→recorded p50=${round(percentile(toRecorded, 50))} p99=${round(percentile(toRecorded, 99))}, recorded→sent p50=${round(percentile(toSent, 50))} p99=${round(percentile(toSent, 99))}, sent after more than one claim ${retried}${untimed ? `, ${untimed} without a timeline event (not counted)` : ''}${why.length ? `; unsent as ${why.join(' | ')}` : ''}`,
    );
  else b.note(rows.length > 0 ? `notify_p99: none of the ${rows.length} emails of the created tickets names a timeline event` : 'notify_p99: no email was recorded for the created tickets');
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
