import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { currentTeamMembership } from '../api/admin/team-membership';
import { personView } from '../api/scim/people';
import { DEFAULT_EMAIL_RETRY } from '../mail/sender';
import { createConfigSnapshots } from '../lib/db/config-snapshot';
import { createOrganisation, requesterProfile, type UserProfile } from '../lib/db/organisation';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { createTicketWorker } from '../temporal/worker';
import {
  approveUpdate,
  awaitCreatedUpdate,
  calendarChangedSignal,
  requestInfoUpdate,
  slaPolicyPublishedSignal,
  editCustomFieldsUpdate,
  lifecycleUpdates,
  replyUpdate,
  stateQuery,
  teamMembershipChangedSignal,
  TICKET_WORKFLOW_TYPE,
  ticketWorkflowId,
  type TicketWorkflowInput,
} from '../workflows/definitions';
import type { Actor, CalendarSnapshot, SlaPolicySnapshot } from '../workflows/domain/types';
import { emailDeliveryWorkflowId, type emailDeliveryWorkflow } from '../workflows/email-delivery';
import type { emailOutboxSweepWorkflow } from '../workflows/email-outbox-sweep';
import type { openTicketsFanOutWorkflow } from '../workflows/fan-out';
import type { personDeactivationWorkflow } from '../workflows/person-deactivation';
import type { ticketWorkflow } from '../workflows/ticket';
import { freePort } from '../test/support/ports';
import { createTestDatabase } from '../test/support/test-database';
import { DEACTIVATION_STORY, EMAIL_DELIVERY_STORY, FAN_OUT_STORY, OUTBOX_SWEEP_STORY, STORIES, type Step } from './history-stories';

/**
 * Records the histories of representative tickets into test/histories/, for the replay
 * test to run against every later version of the workflow code. Run it when a new
 * kind of ticket story appears (and never to "fix" a failing replay: that failure means
 * a change needs patched()).  Usage: npx tsx scripts/record-histories.ts [story names...]
 * (with names, only those stories are recorded: earlier recordings stay as they were made).
 */
const OUT = path.resolve(__dirname, '../test/histories');

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = findTemporalCli((m) => console.error(m));
  if (!cli) throw new Error('Temporal CLI not found');
  const server = await startDevServer({ cli, port: await freePort(), namespace: 'default', headless: true });
  const db = await createTestDatabase();
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const logger = pino({ level: 'warn' });
  const worker = await createTicketWorker({
    connection,
    namespace: 'default',
    taskQueue: 'record-histories',
    deps: { sequelize: db.sequelize, models: db.models, logger, temporal: { client, taskQueue: 'record-histories' } },
    logger,
  });
  const organisation = createOrganisation(db.models);
  const actor = (u: UserProfile): Actor => ({ kind: 'user', userId: u.id, name: u.name, roles: u.roles, teamIds: u.teams.map((t) => t.id), departmentId: u.department?.id ?? null });

  await worker.runUntil(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    const only = process.argv.slice(2);
    let number = 1;
    for (const story of STORIES.filter((s) => only.length === 0 || only.includes(s.name))) {
      const category = (await organisation.categories()).find((c) => c.code === story.category)!;
      const requester = (await organisation.userByEmail('emma@example.com'))!;
      const input: TicketWorkflowInput = {
        number,
        draft: { title: story.title, description: 'Recorded story', categoryId: category.id, priority: 'medium', channel: 'portal', customFields: story.customFields ?? {} },
        requester: requesterProfile(requester),
        config: (await createConfigSnapshots(db.models).snapshot({ categoryId: category.id, requesterId: requester.id, customFields: story.customFields ?? {}, today: '2026-11-23' }))!,
      };
      if (story.continueAsNewAfterEvents) input.config.continueAsNewAfterEvents = story.continueAsNewAfterEvents;
      if (story.firstResponseMinutes) {
        input.config.slaPolicies = input.config.slaPolicies!.map((policy) => ({ ...policy, clock: '24x7', firstResponseMinutes: story.firstResponseMinutes! }));
      }
      const view = await client.workflow.executeUpdateWithStart(awaitCreatedUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof ticketWorkflow>(TICKET_WORKFLOW_TYPE, {
          workflowId: ticketWorkflowId(number),
          taskQueue: 'record-histories',
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
        }),
      });
      const handle = client.workflow.getHandle(ticketWorkflowId(number));
      const firstRunId = (await handle.describe()).runId;
      const agent = view.assigneeId ? (await organisation.usersByIds([view.assigneeId]))[0]! : undefined;
      const run = async (steps: Step[]) => {
        for (const [action, who, input = {}] of steps) {
          const writer = who === 'agent' ? agent! : requester;
          if (action === 'apply_policy' || action === 'apply_calendar') {
            // What the fan-out workflows send: the ticket's own policy or calendar, one version newer.
            const sla = (await handle.query(stateQuery)).sla!;
            const seq = (await handle.query(stateQuery)).version;
            if (action === 'apply_policy') {
              const policy = { ...(sla.policy as SlaPolicySnapshot), version: sla.policy.version + 1, resolutionMinutes: Math.ceil(sla.policy.resolutionMinutes / 2) };
              await handle.signal(slaPolicyPublishedSignal, { policy, reason: String(input.reason) });
            } else {
              const current = sla.calendar as CalendarSnapshot;
              // Tomorrow, so the holiday falls inside the clocks' window whenever the story is recorded.
              const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
              const calendar = { ...current, version: current.version + 1, holidays: [...current.holidays.filter((h) => h.date !== tomorrow), { date: tomorrow, name: 'Company day off' }] };
              await handle.signal(calendarChangedSignal, { calendar, reason: String(input.reason) });
            }
            const deadline = Date.now() + 15_000;
            while ((await handle.query(stateQuery)).projectedVersion <= seq) {
              if (Date.now() > deadline) throw new Error(`${story.name}: ${action} was not recorded and projected within 15 s (calendar ${JSON.stringify((await handle.query(stateQuery)).sla?.calendar)})`);
              await new Promise((r) => setTimeout(r, 100));
            }
          } else if (action === 'timer_fired') {
            const count = Number(input.count ?? 1);
            const deadline = Date.now() + 90_000;
            while (((await handle.fetchHistory()).events ?? []).filter((e) => e.timerFiredEventAttributes).length < count) {
              if (Date.now() > deadline) throw new Error(`${story.name}: ${count} due-point timer(s) did not fire within 90 s`);
              await new Promise((r) => setTimeout(r, 500));
            }
          } else if (action === 'approve' || action === 'request_info') {
            const chain = (await handle.query(stateQuery)).approval!;
            const approver = (await organisation.usersByIds([chain.steps[chain.current]!.approverIds[0]!]))[0]!;
            const update = action === 'approve' ? approveUpdate : requestInfoUpdate;
            await handle.executeUpdate(update, { args: [{ actor: actor(approver), step: chain.current, ...(input.question ? { question: String(input.question) } : {}) }] });
          } else if (action === 'membership') {
            const { teamId } = await handle.query(stateQuery);
            const current = (await currentTeamMembership(db.models, teamId!))!.team;
            const joining = (await organisation.userByEmail(`${String(input.join)}@example.com`))!.id;
            const team = { ...current, version: current.version + 1, memberIds: [...current.memberIds, joining] };
            await handle.signal(teamMembershipChangedSignal, { team, reason: `${String(input.join)} joined the team` });
          } else if (action === 'edit_fields') {
            await handle.executeUpdate(editCustomFieldsUpdate, { args: [{ actor: actor(writer), changes: input }] });
          } else if (action === 'reply' || action === 'note') {
            const mentions = await Promise.all(((input.mentions as string[] | undefined) ?? []).map(async (key) => (await organisation.userByEmail(`${key}@example.com`))!.id));
            const visibility = action === 'note' ? 'internal' : 'public';
            await handle.executeUpdate(replyUpdate, { args: [{ actor: actor(writer), body: String(input.body), visibility, mentions }] });
          } else {
            // A story names the new assignee by their demo key; the update takes their id.
            const assigneeId = input.assignee ? (await organisation.userByEmail(`${String(input.assignee)}@example.com`))!.id : undefined;
            const actionInput = assigneeId ? { assigneeId } : input;
            await handle.executeUpdate(lifecycleUpdates[action], { args: [{ actor: actor(who === 'agent' ? agent! : requester), input: actionInput }] });
          }
        }
      };
      await run(story.steps);
      if (story.continueAsNewAfterEvents) {
        await untilContinuedAsNew(client, ticketWorkflowId(number), firstRunId);
        // The second run starts from the carried state: act on it so its history shows that too.
        await run(story.afterContinueAsNew ?? []);
      }
      const runs = await runsOf(client, ticketWorkflowId(number));
      for (const [index, runId] of runs.entries()) {
        const history = await client.workflow.getHandle(ticketWorkflowId(number), runId).fetchHistory();
        const name = runs.length === 1 ? story.name : `${story.name}-run-${index + 1}`;
        fs.writeFileSync(path.join(OUT, `${name}.json`), `${historyToJSON(history)}\n`);
        console.log(`recorded ${name} (${history.events?.length} events)`);
      }
      if (story.continueAsNewAfterEvents && runs.length < 2) throw new Error(`${story.name} never continued as new: lower its continueAsNewAfterEvents`);
      number += 1;
    }
    if (only.length === 0 || only.includes(OUTBOX_SWEEP_STORY)) {
      const sweep = await client.workflow.start<typeof emailOutboxSweepWorkflow>('emailOutboxSweepWorkflow', { workflowId: 'email-outbox-sweep-recorded', taskQueue: 'record-histories', args: [{}] });
      await sweep.result();
      const history = await sweep.fetchHistory();
      fs.writeFileSync(path.join(OUT, `${OUTBOX_SWEEP_STORY}.json`), `${historyToJSON(history)}\n`);
      console.log(`recorded ${OUTBOX_SWEEP_STORY} (${history.events?.length} events)`);
    }
    if (only.length === 0 || only.includes(EMAIL_DELIVERY_STORY)) {
      // The recorder's worker sends no email (no Postmark configured): the history shows the
      // delivery's commands, which is what replay checks.
      const delivery = await client.workflow.start<typeof emailDeliveryWorkflow>('emailDeliveryWorkflow', {
        workflowId: emailDeliveryWorkflowId('recorded:receipt'),
        taskQueue: 'record-histories',
        args: [{ notificationId: 'recorded:receipt', notificationIds: ['recorded:receipt', 'recorded:team'], ticketNumber: 1, retry: DEFAULT_EMAIL_RETRY }],
      });
      await delivery.result();
      const history = await delivery.fetchHistory();
      fs.writeFileSync(path.join(OUT, `${EMAIL_DELIVERY_STORY}.json`), `${historyToJSON(history)}\n`);
      console.log(`recorded ${EMAIL_DELIVERY_STORY} (${history.events?.length} events)`);
    }
    if (only.length === 0 || only.includes(FAN_OUT_STORY)) {
      const desk = (await db.models.Team.findOne({ where: { code: 'it-service-desk' } }))!;
      const current = (await currentTeamMembership(db.models, desk.get('id') as number))!;
      const team = { ...current.team, version: current.team.version + 1 };
      const fanOut = await client.workflow.start<typeof openTicketsFanOutWorkflow>('openTicketsFanOutWorkflow', {
        workflowId: 'fan-out-recorded',
        taskQueue: 'record-histories',
        args: [{ change: { kind: 'team_membership', team, teamName: current.name }, reason: 'Recorded story' }],
      });
      await fanOut.result();
      const history = await fanOut.fetchHistory();
      fs.writeFileSync(path.join(OUT, `${FAN_OUT_STORY}.json`), `${historyToJSON(history)}\n`);
      console.log(`recorded ${FAN_OUT_STORY} (${history.events?.length} events)`);
    }
    if (only.length === 0 || only.includes(DEACTIVATION_STORY)) {
      const sam = (await db.models.User.findOne({ where: { email: 'sam@example.com' } }))!;
      await sam.update({ active: false });
      const handOver = await client.workflow.start<typeof personDeactivationWorkflow>('personDeactivationWorkflow', {
        workflowId: 'person-deactivation-recorded',
        taskQueue: 'record-histories',
        args: [{ person: personView(sam), by: 'Recorded story' }],
      });
      await handOver.result();
      const history = await handOver.fetchHistory();
      fs.writeFileSync(path.join(OUT, `${DEACTIVATION_STORY}.json`), `${historyToJSON(history)}\n`);
      console.log(`recorded ${DEACTIVATION_STORY} (${history.events?.length} events)`);
    }
  });
  await connection.close();
  await client.connection.close();
  await db.drop();
  await server.stop();
}

/** The run continues as new once its pending effects have run; waits for that (or fails saying so). */
async function untilContinuedAsNew(client: Client, workflowId: string, firstRunId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId, firstRunId);
  const deadline = Date.now() + 60_000;
  while ((await handle.describe()).status.name === 'RUNNING') {
    if (Date.now() > deadline) throw new Error(`${workflowId} did not continue as new within a minute`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The runs of a workflow id, oldest first, following continue-as-new. */
async function runsOf(client: Client, workflowId: string): Promise<string[]> {
  const latest = await client.workflow.getHandle(workflowId).describe();
  const runs: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(execution.runId);
  // Visibility may lag; the latest run is always known from describe().
  if (!runs.includes(latest.runId)) runs.push(latest.runId);
  const starts = await Promise.all(runs.map(async (runId) => [runId, (await client.workflow.getHandle(workflowId, runId).describe()).startTime.getTime()] as const));
  return starts.sort((a, b) => a[1] - b[1]).map(([runId]) => runId);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
