import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import pino from 'pino';
import { createConfigSnapshots } from '../../lib/db/config-snapshot';
import { DEMO_CALENDARS } from '../../lib/db/demo-org';
import { createOrganisation, requesterProfile } from '../../lib/db/organisation';
import { createEmailRelay } from '../../mail/relay';
import { ensureSearchAttributes } from '../../temporal/search-attributes';
import { createTicketWorker, WORKFLOW_BUNDLE_OPTIONS } from '../../temporal/worker';
import { stateQuery, TICKET_WORKFLOW_TYPE, ticketWorkflowId, type TicketView, type TicketWorkflowInput } from '../../workflows/definitions';
import type { Actor, ConfigSnapshot, Priority } from '../../workflows/domain/types';
import type { ticketWorkflow } from '../../workflows/ticket';
import type { DemoUserKey } from './demo-accounts';
import type { ActivityDeps } from '../../activities';
import { startWithRetries } from './retry';
import { createTestDatabase, type TestDatabase } from './test-database';
import { waitUntil, within } from './wait';

export interface TimeSkippingHarness {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  taskQueue: string;
  /** Moves the server's clock forward to `instant` (firing every timer on the way). */
  skipTo(instant: Date): Promise<void>;
  /** The next Monday 00:00 (Berlin) of a week with no demo holidays, at least a week after the last one handed out. */
  nextCleanWeek(): Promise<DateTime>;
  open(options: { category: string; priority: Priority; requester?: DemoUserKey; customFields?: Record<string, unknown>; adjust?: (config: ConfigSnapshot) => void }): Promise<WorkflowHandle<typeof ticketWorkflow>>;
  actor(user: DemoUserKey): Promise<Actor>;
  userId(user: DemoUserKey): Promise<number>;
  view(handle: WorkflowHandle<typeof ticketWorkflow>): Promise<TicketView>;
  /** An update of the ticket, within a deadline that names what every open workflow was doing when it passed. */
  update<Ret, Input>(handle: WorkflowHandle<typeof ticketWorkflow>, update: UpdateDefinition<Ret, [Input]>, input: Input): Promise<Ret>;
  events(number: number): Promise<Array<{ seq: number; type: string; data: Record<string, unknown>; occurredAt: string }>>;
  stop(): Promise<void>;
}

const { PendingActivityState, WorkflowExecutionStatus } = temporal.api.enums.v1;

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
const millisOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0);

/**
 * An attempt in progress, or a first one about to start. An activity waiting out its retry
 * backoff is a timer like any other, which the jump may fire: the test server still calls it
 * started, but its last attempt completed (failed) after it last started.
 */
function isRunning(activity: PendingActivity): boolean {
  if (activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED) return (activity.attempt ?? 1) <= 1;
  return millisOf(activity.lastAttemptCompleteTime) < millisOf(activity.lastStartedTime);
}

/** The open workflows (tickets, deliveries, pages) with a workflow task or an activity in progress. */
async function busyWorkflows(env: TestWorkflowEnvironment): Promise<string[]> {
  const busy: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await env.connection.workflowService.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 1000, nextPageToken });
    for (const execution of page.executions ?? []) {
      const { workflowId, runId } = execution.execution ?? {};
      if (!workflowId) continue;
      const { raw } = await env.client.workflow.getHandle(workflowId, runId ?? undefined).describe();
      if (raw.workflowExecutionInfo?.status !== WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) continue;
      if (raw.pendingWorkflowTask || (raw.pendingActivities ?? []).some(isRunning)) busy.push(workflowId);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return busy;
}

/**
 * Timers of the open workflows not yet fired or cancelled, with the instants they are due. The
 * test server's clock runs in real time between jumps, so a timer due a moment after a jump
 * lands (a due point set from an instant a workflow task reached some milliseconds late) fires
 * during the test's next step.
 */
async function pendingTimers(env: TestWorkflowEnvironment): Promise<Array<{ workflowId: string; dueMs: number }>> {
  const page = await env.connection.workflowService.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 1000 });
  const timers: Array<{ workflowId: string; dueMs: number }> = [];
  for (const execution of page.executions ?? []) {
    const { workflowId, runId } = execution.execution ?? {};
    if (!workflowId) continue;
    const events = (await env.client.workflow.getHandle(workflowId, runId ?? undefined).fetchHistory()).events ?? [];
    const due = new Map<string, number>();
    for (const event of events) {
      const started = event.timerStartedEventAttributes;
      if (started?.timerId) due.set(started.timerId, millisOf(event.eventTime) + millisOf(started.startToFireTimeout));
      const ended = event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId;
      if (ended) due.delete(ended);
    }
    for (const dueMs of due.values()) timers.push({ workflowId, dueMs });
  }
  return timers;
}

/**
 * How far past a landing a timer is jumped over. The Java test server refuses a workflow task
 * that cancels a timer which fired while the task ran ("invalid history builder state for
 * action") and then never times the task out or hands it out again (sdk-java #2606, #3088): the
 * workflow stalls for good. A test sends an Update right after landing, and an Update makes the
 * ticket cancel its due-point timer; so no timer may fall due in the seconds that follow.
 */
const TIMER_FIRE_GUARD_MS = 10_000;
const TIMER_FIRE_MARGIN_MS = 500;

/** Below Jest's 60 s per test, so a stall fails with what was busy rather than with Jest's timeout. */
const STALL_MS = 20_000;

/** What each open workflow was doing: pending activities and the last events of its history. */
async function openWorkflowsState(env: TestWorkflowEnvironment): Promise<string> {
  const page = await env.connection.workflowService.listOpenWorkflowExecutions({ namespace: 'default', maximumPageSize: 1000 });
  const lines: string[] = [];
  for (const execution of page.executions ?? []) {
    const { workflowId, runId } = execution.execution ?? {};
    if (!workflowId) continue;
    const handle = env.client.workflow.getHandle(workflowId, runId ?? undefined);
    const { raw } = await handle.describe();
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events.slice(-5).map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '')).join(' → ');
    const activities = (raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} attempt ${a.attempt} ${PendingActivityState[a.state ?? 0]}`).join(', ');
    lines.push(`  ${workflowId}: ${events.length} events, last ${last}${activities ? `; pending ${activities}` : ''}`);
  }
  return `open workflows:\n${lines.join('\n')}`;
}

const HOLIDAYS = new Set(DEMO_CALENDARS.flatMap((c) => c.holidays.map((h) => h.date)));

/**
 * The Java time-skipping test server with a real worker and database: SLA timers that
 * span days fire in milliseconds, at exactly the instants the workflow asked for.
 */
export async function startTimeSkipping(options: { activityDeps?: Partial<ActivityDeps> } = {}): Promise<TimeSkippingHarness> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const path = process.env.TEMPORAL_TEST_SERVER;
  if (!path) throw new Error('Run through jest so global setup finds temporal-test-server');
  const env = await startWithRetries(() => TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }));
  await ensureSearchAttributes(env.connection, 'default');
  const db = await createTestDatabase();
  const logger = pino({ level: 'silent' });
  const emailRelay = createEmailRelay(logger);
  const taskQueue = 'sla-time-skipping';
  const worker: Worker = await createTicketWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    // The fan-out activities (and on-call delivery) reach Temporal through this client.
    deps: { sequelize: db.sequelize, models: db.models, logger, temporal: { client: env.client, taskQueue }, emailRelay, ...options.activityDeps },
    logger,
    workflowBundle: await bundleWorkflowCode({
      ...WORKFLOW_BUNDLE_OPTIONS,
      workflowInterceptorModules: [require.resolve('@temporalio/testing/lib/assert-to-failure-interceptor')],
      logger: new DefaultLogger('WARN'),
    }),
  });
  const running = worker.run();
  const organisation = createOrganisation(db.models);
  const snapshots = createConfigSnapshots(db.models);
  let nextNumber = 1;
  let lastWeek: DateTime | null = null;

  /** Why the server stalled, once it has: every later jump fails at once instead of after its own deadline. */
  let broken: string | undefined;
  /** `work` within STALL_MS, or a failure naming what was awaited and what every open workflow was doing. */
  async function guarded<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await within(what, work, STALL_MS);
    } catch (err) {
      const state = await openWorkflowsState(env).catch((stateErr: unknown) => `(could not describe the open workflows: ${String(stateErr)})`);
      broken = `${(err as Error).message}\n${state}`;
      throw new Error(broken);
    }
  }

  const harness: TimeSkippingHarness = {
    env,
    db,
    taskQueue,
    async skipTo(instant) {
      if (broken) throw new Error(`the time-skipping server stalled earlier, so later jumps cannot be trusted: ${broken}`);
      // Time jumps only while no activity attempt runs anywhere on the server (tickets, email
      // deliveries, pages): an attempt timing out in skipped time, days at once, is what an
      // earlier CI hang was put down to. This server pauses a jump for work in progress by
      // itself as far as we could measure, and it never reports a pending workflow task, so this
      // is a guard rather than the cure: a later CI run still hung five SLA timer tests, which is
      // why a jump and each update now have deadlines that name what was busy.
      await waitUntil(
        'every open workflow to be idle (no workflow task or activity in progress) before skipping time',
        () => busyWorkflows(env),
        (busy) => busy.length === 0,
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      const now = await env.currentTimeMs();
      if (instant.getTime() < now) throw new Error(`cannot go back in time to ${instant.toISOString()} (now ${new Date(now).toISOString()})`);
      // A server whose clock stopped would otherwise hang here until the test's own timeout, saying nothing.
      if (instant.getTime() > now) await guarded(`the test server's clock to reach ${instant.toISOString()}`, env.sleep(instant.getTime() - now));
      // Then past any timer about to fire, so none fires inside the task of the test's next Update.
      for (let pass = 0; pass < 20; pass++) {
        const landed = await env.currentTimeMs();
        // A timer fires a few milliseconds after its recorded due instant (the server schedules it
        // after stamping the event), so one due a moment ago but unfired is about to fire too.
        const soon = (await pendingTimers(env)).filter((t) => t.dueMs <= landed + TIMER_FIRE_GUARD_MS);
        if (soon.length === 0) return;
        const past = Math.max(...soon.map((t) => t.dueMs)) + TIMER_FIRE_MARGIN_MS;
        await waitUntil('every open workflow to be idle before jumping past timers about to fire', () => busyWorkflows(env), (busy) => busy.length === 0, { timeoutMs: 30_000, intervalMs: 50 });
        const from = await env.currentTimeMs();
        if (past > from) await guarded(`the test server's clock to pass timers due by ${new Date(past).toISOString()}`, env.sleep(past - from));
      }
      throw new Error(`timers kept falling due within ${TIMER_FIRE_GUARD_MS} ms of ${instant.toISOString()} after 20 jumps past them`);
    },
    async nextCleanWeek() {
      const now = DateTime.fromMillis(await env.currentTimeMs(), { zone: 'Europe/Berlin' });
      // After the clock, too: a test that reached into the week after its own has used that one.
      let monday = (lastWeek && lastWeek > now ? lastWeek : now).plus({ weeks: 1 }).startOf('week');
      while ([0, 1, 2, 3, 4, 5, 6, 7].some((d) => HOLIDAYS.has(monday.plus({ days: d }).toISODate()!))) monday = monday.plus({ weeks: 1 });
      lastWeek = monday;
      return monday;
    },
    async open({ category: code, priority, requester = 'emma', customFields = {}, adjust }) {
      const category = (await organisation.categories()).find((c) => c.code === code)!;
      const person = (await organisation.userByEmail(`${requester}@example.com`))!;
      const today = new Date(await env.currentTimeMs()).toISOString().slice(0, 10);
      const config = (await snapshots.snapshot({ categoryId: category.id, requesterId: person.id, customFields, today }))!;
      adjust?.(config);
      const number = nextNumber++;
      const input: TicketWorkflowInput = {
        number,
        draft: { title: `Ticket ${number}`, description: 'time-skipping scenario', categoryId: category.id, priority, channel: 'portal', customFields },
        requester: requesterProfile(person),
        config,
      };
      const handle = await env.client.workflow.start<typeof ticketWorkflow>(TICKET_WORKFLOW_TYPE, { workflowId: ticketWorkflowId(number), taskQueue, args: [input] });
      // The first workflow task routes and assigns; wait until that is projected.
      await waitUntil(
        `ticket ${number}'s routing and assignment to be projected (version 3 or later)`,
        () => handle.query(stateQuery),
        (view) => view.projectedVersion === view.version && view.version >= 3,
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      return handle;
    },
    async actor(user) {
      const profile = (await organisation.userByEmail(`${user}@example.com`))!;
      return { kind: 'user', userId: profile.id, name: profile.name, roles: profile.roles, teamIds: profile.teams.map((t) => t.id), departmentId: profile.department?.id ?? null };
    },
    async userId(user) {
      return (await organisation.userByEmail(`${user}@example.com`))!.id;
    },
    view: (handle) => guarded(`the state of ${handle.workflowId}`, handle.query(stateQuery)),
    update: (handle, update, input) => guarded(`${handle.workflowId} to answer the ${update.name} update`, handle.executeUpdate(update, { args: [input] })),
    async events(number) {
      const rows = await db.models.TicketEvent.findAll({ where: { ticket_number: number }, order: [['seq', 'ASC']] });
      return rows.map((r) => ({
        seq: r.get('seq') as number,
        type: r.get('type') as string,
        data: r.get('data') as Record<string, unknown>,
        occurredAt: new Date(r.get('occurred_at') as string).toISOString(),
      }));
    },
    async stop() {
      worker.shutdown();
      await running;
      await emailRelay.idle();
      await env.teardown();
      await db.drop();
    },
  };
  return harness;
}
