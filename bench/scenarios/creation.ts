import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { statementCounts, statementsBetween, summary, type Bench, type StatementCounts } from '../context';
import { eventMillis, percentile, phaseSummary, round, runLoad, sleep } from '../lib';
import { ticketWorkflowId } from '../../workflows/definitions';
import { emptyWorkflow } from '../raw-workflows';

/** Starts of the empty workflow go to a queue nobody polls: the baseline is the start alone. */
const UNPOLLED_QUEUE = 'bench-unpolled';

/** What one created ticket costs in Temporal, then creation at 1, 10 and 50 clients against raw starts. */
export async function creationScenarios(b: Bench): Promise<void> {
  const { client, sizes, users } = b;
  if (b.wanted('create_history_events', 'create_workflow_tasks', 'create_temporal_tasks')) {
    const number = b.createdNumbers[0]!;
    const cost = await historyCost(client, `ticket-${number}`);
    b.record({ name: 'create_history_events', unit: 'events', value: cost.events, baseline: null, target: null }, cost.detail);
    b.record({ name: 'create_workflow_tasks', unit: 'tasks', value: cost.workflowTasks, baseline: null, target: null });
    // Everything Temporal dispatched for the ticket: its workflow and activity tasks, and those of the email deliveries its notifications started.
    const notifications = (await b.db.models.EmailOutbox.findAll({ where: { ticket_number: number }, attributes: ['notification_id'] })).map((r) => r.get('notification_id') as string);
    const deliveries: Array<Awaited<ReturnType<typeof historyCost>>> = [];
    for (const id of new Set(notifications)) {
      const found = await historyCost(client, `email-delivery-${id}`).catch((err: Error) => (err.name === 'WorkflowNotFoundError' ? null : Promise.reject(err)));
      if (found) deliveries.push(found);
    }
    const tasks = cost.workflowTasks + cost.activityTasks + deliveries.reduce((sum, d) => sum + d.workflowTasks + d.activityTasks, 0);
    b.record(
      { name: 'create_temporal_tasks', unit: 'tasks', value: tasks, baseline: null, target: null },
      `ticket: ${cost.workflowTasks} workflow + ${cost.activityTasks} activity tasks; ${deliveries.length} email delivery workflow(s): ${deliveries.map((d) => `${d.workflowTasks}+${d.activityTasks}`).join(', ')}; history events in all ${cost.events + deliveries.reduce((sum, d) => sum + d.events, 0)}`,
    );
  }

  let rawStartP95: number | null = null;
  if (b.wanted('create_c1_p95', 'create_c10_rate', 'create_db_statements')) {
    const raw1 = await runLoad({ clients: 1, durationMs: 15_000, maxCount: sizes.c1 }, async (i) => {
      await client.workflow.start(emptyWorkflow, { taskQueue: UNPOLLED_QUEUE, workflowId: `raw-c1-${Date.now()}-${i}` });
    });
    rawStartP95 = percentile(raw1.latencies, 95);
    console.log(`[bench]   raw start, 1 client: ${summary(raw1)}`);
  }
  if (b.wanted('create_c1_p95', 'create_db_statements')) {
    const calls: Array<{ at: number; number?: number; answeredAt?: number }> = [];
    const scrapeCost = await scrapeCostOf(b.metricsUrls);
    const before = await statementCounts(b.metricsUrls);
    const r = await runLoad({ clients: 1, durationMs: 60_000, maxCount: sizes.c1 }, async (i) => {
      const call: { at: number; number?: number; answeredAt?: number } = { at: Date.now() };
      calls.push(call);
      call.number = await b.createAs(users[i % users.length]!, 'medium', i);
      call.answeredAt = Date.now();
    });
    b.record({ name: 'create_c1_p95', unit: 'ms', value: percentile(r.latencies, 95), baseline: rawStartP95, target: { max: 120 } }, summary(r));
    b.note(`one client's creates, where the time goes (p50 / p95 ms): ${await createPhases(client, calls)}`);
    const spent = await statementsSince(before, b.metricsUrls, scrapeCost);
    const perTicket = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0) / r.latencies.length;
    const byKind = (counts: Record<string, number>) =>
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .sort(([, a], [, c]) => c - a)
        .map(([kind, n]) => `${kind} ${round(n / r.latencies.length, 1)}`)
        .join(', ');
    b.record(
      { name: 'create_db_statements', unit: 'statements', value: perTicket(spent.api) + perTicket(spent.worker), baseline: null, target: null },
      `per created ticket, its emails included: api ${round(perTicket(spent.api), 1)} (${byKind(spent.api)}); worker ${round(perTicket(spent.worker), 1)} (${byKind(spent.worker)})`,
    );
  }
  if (b.wanted('create_c10_rate')) {
    const raw = await runLoad({ clients: 10, durationMs: sizes.c10Ms / 2, maxCount: 100_000 }, async (i) => {
      await client.workflow.start(emptyWorkflow, { taskQueue: UNPOLLED_QUEUE, workflowId: `raw-c10-${Date.now()}-${i}` });
    });
    const rawRate = raw.latencies.length / (raw.elapsedMs / 1000);
    console.log(`[bench]   raw start, 10 clients: ${round(rawRate)} starts/s, ${summary(raw)}`);
    const calls: Array<{ at: number; number?: number; answeredAt?: number }> = [];
    const r = await b.cpuDuring('create_c10', () =>
      runLoad({ clients: 10, durationMs: sizes.c10Ms, maxCount: 100_000 }, async (i) => {
        const call: { at: number; number?: number; answeredAt?: number } = { at: Date.now() };
        calls.push(call);
        call.number = await b.createAs(users[i % users.length]!, 'medium', i);
        call.answeredAt = Date.now();
      }),
    );
    const rate = r.latencies.length / (r.elapsedMs / 1000);
    b.record({ name: 'create_c10_rate', unit: 'tickets/s', value: rate, baseline: rawRate, target: { min_ratio: 0.3 } }, summary(r));
    // Every third create, past the first second's warm-up: enough for the split, without reading hundreds of histories.
    b.note(`ten clients' creates, where the time goes (p50 / p95 ms): ${await createPhases(client, calls.filter((c, i) => i % 3 === 0 && c.at - calls[0]!.at > 1000))}`);
  }
  if (b.wanted('create_c50_p95')) {
    const r = await runLoad({ clients: 50, durationMs: sizes.c50Ms, maxCount: 100_000 }, (i) => b.createAs(users[i % users.length]!, 'medium', i).then(() => {}));
    b.record({ name: 'create_c50_p95', unit: 'ms', value: percentile(r.latencies, 95), baseline: null, target: null }, `${summary(r)} rate=${round(r.latencies.length / (r.elapsedMs / 1000))}/s`);
  }
}

/** Critical tickets created one after another while 50 clients flood the desk with low ones, against the same creates on a calm desk. */
export async function priorityUnderFlood(b: Bench): Promise<void> {
  if (!b.wanted('create_critical_p95_under_flood')) return;
  const { sizes, users } = b;
  const calm = await runLoad({ clients: 1, durationMs: 60_000, maxCount: sizes.critical }, (i) => b.createAs(users[i % users.length]!, 'critical', i).then(() => {}));
  let flooding = true;
  const flood = runLoad({ clients: 50, durationMs: 180_000, maxCount: sizes.flood }, (i) => b.createAs(users[(i + 3) % users.length]!, 'low', i).then(() => {})).finally(() => {
    flooding = false;
  });
  await sleep(1000);
  const under: number[] = [];
  const calls: Array<{ at: number; number?: number; answeredAt?: number }> = [];
  let failed = 0;
  while (flooding) {
    const t = performance.now();
    const call: { at: number; number?: number; answeredAt?: number } = { at: Date.now() };
    try {
      call.number = await b.createAs('priya', 'critical');
      call.answeredAt = Date.now();
      calls.push(call);
    } catch {
      failed += 1;
    }
    under.push(performance.now() - t);
  }
  const floodResult = await flood;
  b.record(
    { name: 'create_critical_p95_under_flood', unit: 'ms', value: percentile(under, 95), baseline: percentile(calm.latencies, 95), target: { max_ratio: 1.5 } },
    `critical n=${under.length} failed=${failed}; flood of ${floodResult.latencies.length} low: ${summary(floodResult)}`,
  );
  b.note(`critical creates under the flood, where the time goes (p50 / p95 ms): ${await createPhases(b.client, calls)}`);
}

/**
 * The history of one created ticket once it has settled (nothing new for 3 s): its events,
 * workflow tasks, activities (scheduled and local) and search-attribute upserts.
 */
async function historyCost(client: Client, workflowId: string): Promise<{ events: number; workflowTasks: number; activityTasks: number; detail: string }> {
  const handle = client.workflow.getHandle(workflowId);
  let last = -1;
  let stableSince = Date.now();
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const length = (await handle.describe()).historyLength;
    if (length !== last) {
      last = length;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 3000) break;
    await sleep(250);
  }
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const E = temporal.api.enums.v1.EventType;
  const count = (type: number) => events.filter((e) => e.eventType === type).length;
  const activities = events
    .filter((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
  const markers = events.filter((e) => e.eventType === E.EVENT_TYPE_MARKER_RECORDED).map((e) => e.markerRecordedEventAttributes?.markerName);
  const locals = markers.filter((m) => m === 'core_local_activity').length;
  const workflowTasks = count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const detail = `workflow tasks ${workflowTasks}, activities ${activities.length} (${activities.join(' ')}), local activities ${locals}, patch markers ${markers.length - locals}, search-attribute upserts ${count(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)}, updates ${count(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)}`;
  return { events: events.length, workflowTasks, activityTasks: activities.length, detail };
}

/**
 * Splits each create's time at the instants its workflow history records (server and
 * client share this machine's clock): the API's work before the workflow starts, the
 * first workflow task's wait for a worker and its run (routing, assignment, projection),
 * and what follows until the answer reaches the client (the API's detail read).
 */
async function createPhases(client: Client, calls: Array<{ at: number; number?: number; answeredAt?: number }>): Promise<string> {
  const E = temporal.api.enums.v1.EventType;
  const phases: Record<'api before start' | 'task queued' | 'first task in worker' | 'after the task' | 'whole create', number[]> = {
    'api before start': [],
    'task queued': [],
    'first task in worker': [],
    'after the task': [],
    'whole create': [],
  };
  for (const call of calls) {
    if (call.number === undefined || call.answeredAt === undefined) continue;
    const events = (await client.workflow.getHandle(ticketWorkflowId(call.number)).fetchHistory()).events ?? [];
    const at = (type: number) => eventMillis(events.find((e) => e.eventType === type)?.eventTime);
    const started = at(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const taskStarted = at(E.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const taskCompleted = at(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    phases['api before start'].push(started - call.at);
    phases['task queued'].push(taskStarted - started);
    phases['first task in worker'].push(taskCompleted - taskStarted);
    phases['after the task'].push(call.answeredAt - taskCompleted);
    phases['whole create'].push(call.answeredAt - call.at);
  }
  return phaseSummary(phases);
}

/** What one reading of the counters costs in statements (the read-model gauges query at scrape time). */
async function scrapeCostOf(urls: Bench['metricsUrls']): Promise<StatementCounts> {
  const first = await statementCounts(urls);
  const second = await statementCounts(urls);
  return statementsBetween(first, second, { api: {}, worker: {} });
}

/**
 * The statements spent since `before`, once the last tickets' work has ended (their emails sent,
 * outbox rows marked): read until two readings a second apart differ by no more than a reading
 * costs, for at most 15 s. Each reading since `before` is charged what a reading costs.
 */
async function statementsSince(before: StatementCounts, urls: Bench['metricsUrls'], scrapeCost: StatementCounts): Promise<StatementCounts> {
  const total = (c: StatementCounts) => Object.values(c.api).concat(Object.values(c.worker)).reduce((sum, n) => sum + n, 0);
  let reading = await statementCounts(urls);
  let readings = 1;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await sleep(1000);
    const next = await statementCounts(urls);
    readings += 1;
    const quiet = total(statementsBetween(reading, next, scrapeCost)) <= 0;
    reading = next;
    if (quiet) break;
  }
  const times = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([kind, n]) => [kind, n * readings]));
  return statementsBetween(before, reading, { api: times(scrapeCost.api), worker: times(scrapeCost.worker) });
}
