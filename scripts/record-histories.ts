import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createConfigSnapshots } from '../lib/db/config-snapshot';
import { createOrganisation, requesterProfile, type UserProfile } from '../lib/db/organisation';
import { findTemporalCli } from '../temporal/cli';
import { startDevServer } from '../temporal/dev-server';
import { createTicketWorker } from '../temporal/worker';
import {
  approveUpdate,
  awaitCreatedUpdate,
  editCustomFieldsUpdate,
  lifecycleUpdates,
  replyUpdate,
  stateQuery,
  TICKET_WORKFLOW_TYPE,
  ticketWorkflowId,
  type TicketWorkflowInput,
} from '../workflows/definitions';
import type { LifecycleAction } from '../workflows/domain/status-machine';
import type { Actor } from '../workflows/domain/types';
import type { ticketWorkflow } from '../workflows/ticket';
import { freePort } from '../test/support/ports';
import { createTestDatabase } from '../test/support/test-database';

/**
 * Records the histories of representative tickets into test/histories/, for the replay
 * test to run against every later version of the workflow code. Run it when a new
 * kind of ticket story appears (and never to "fix" a failing replay: that failure means
 * a change needs patched()).  Usage: npx tsx scripts/record-histories.ts [story names...]
 * (with names, only those stories are recorded: earlier recordings stay as they were made).
 */
const OUT = path.resolve(__dirname, '../test/histories');

type Step = [LifecycleAction | 'approve' | 'reply' | 'edit_fields', 'requester' | 'agent' | 'approver', Record<string, unknown>?];
const STORIES: Array<{ name: string; category: string; title: string; steps: Step[]; customFields?: Record<string, unknown> }> = [
  {
    name: 'purchase-two-step-approval',
    category: 'fin-purchase',
    title: 'Design tool licences',
    customFields: { amount: 2500, vendor: 'Acme' },
    steps: [
      ['approve', 'approver'],
      ['approve', 'approver'],
    ],
  },
  {
    name: 'laptop-reply-priority-vendor-wait',
    category: 'it-laptop',
    title: 'Laptop keyboard broken',
    steps: [
      ['reply', 'agent', { body: 'Looking into it', visibility: 'public' }],
      ['set_priority', 'agent', { priority: 'high', reason: 'Blocks work' }],
      ['start', 'agent'],
      ['wait_on_vendor', 'agent', { reason: 'Part ordered' }],
      ['resume', 'agent'],
      ['resolve', 'agent', { resolution: 'Keyboard replaced' }],
    ],
  },
  {
    name: 'laptop-full-lifecycle',
    category: 'it-laptop',
    title: 'Laptop for a new hire',
    steps: [
      ['start', 'agent'],
      ['wait_on_requester', 'agent', { reason: 'Which model?' }],
      ['resume', 'agent'],
      ['resolve', 'agent', { resolution: 'Delivered' }],
      ['reopen', 'requester', { reason: 'Charger missing' }],
      ['resolve', 'agent', { resolution: 'Charger delivered' }],
      ['close', 'requester'],
    ],
  },
  { name: 'payroll-queue-cancelled', category: 'hr-payroll', title: 'Payslip question', steps: [['cancel', 'requester', { reason: 'Found it' }]] },
  { name: 'vpn-routed-by-keyword-open', category: 'it-access', title: 'VPN access for contractor', steps: [['start', 'agent']] },
  {
    name: 'laptop-fields-edited',
    category: 'it-laptop',
    title: 'Laptop for the design team',
    customFields: { model: 'Standard 14"' },
    steps: [
      ['start', 'agent'],
      ['wait_on_requester', 'agent', { reason: 'Which model, and by when?' }],
      ['edit_fields', 'requester', { model: 'Developer 16"', needed_by: '2026-12-14' }],
      ['resume', 'agent'],
      ['edit_fields', 'agent', { needed_by: null }],
      ['resolve', 'agent', { resolution: 'Delivered' }],
    ],
  },
];

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
    deps: { sequelize: db.sequelize, models: db.models, logger },
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
      const view = await client.workflow.executeUpdateWithStart(awaitCreatedUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof ticketWorkflow>(TICKET_WORKFLOW_TYPE, {
          workflowId: ticketWorkflowId(number),
          taskQueue: 'record-histories',
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
        }),
      });
      const handle = client.workflow.getHandle(ticketWorkflowId(number));
      const agent = view.assigneeId ? (await organisation.usersByIds([view.assigneeId]))[0]! : undefined;
      for (const [action, who, input = {}] of story.steps) {
        if (action === 'approve') {
          const chain = (await handle.query(stateQuery)).approval!;
          const approver = (await organisation.usersByIds([chain.steps[chain.current]!.approverIds[0]!]))[0]!;
          await handle.executeUpdate(approveUpdate, { args: [{ actor: actor(approver) }] });
        } else if (action === 'edit_fields') {
          await handle.executeUpdate(editCustomFieldsUpdate, { args: [{ actor: actor(who === 'agent' ? agent! : requester), changes: input }] });
        } else if (action === 'reply') {
          await handle.executeUpdate(replyUpdate, { args: [{ actor: actor(agent!), body: String(input.body), visibility: 'public' }] });
        } else {
          await handle.executeUpdate(lifecycleUpdates[action], { args: [{ actor: actor(who === 'agent' ? agent! : requester), input }] });
        }
      }
      const history = await handle.fetchHistory();
      fs.writeFileSync(path.join(OUT, `${story.name}.json`), `${historyToJSON(history)}\n`);
      console.log(`recorded ${story.name} (${history.events?.length} events)`);
      number += 1;
    }
  });
  await connection.close();
  await client.connection.close();
  await db.drop();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
