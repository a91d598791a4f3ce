import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Transaction } from 'sequelize';
import { createConfigSnapshots } from '../../lib/db/config-snapshot';
import { createOrganisation, requesterProfile } from '../../lib/db/organisation';
import {
  awaitCreatedUpdate,
  cancelUpdate,
  replyUpdate,
  resolveUpdate,
  startUpdate,
  stateQuery,
  TICKET_WORKFLOW_TYPE,
  TicketErrorType,
  ticketWorkflowId,
  type TicketWorkflowInput,
} from '../../workflows/definitions';
import type { Actor } from '../../workflows/domain/types';
import type { ticketWorkflow } from '../../workflows/ticket';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let nextNumber = 50_000;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function actorFor(key: 'emma' | 'alex' | 'nina'): Promise<Actor> {
  const organisation = createOrganisation(h.db.models);
  const user = (await organisation.usersByIds([await h.userId(key)]))[0]!;
  return { kind: 'user', userId: user.id, name: user.name, roles: user.roles, teamIds: user.teams.map((t) => t.id), departmentId: user.department?.id ?? null };
}

async function open(categoryCode: string, title: string, description = 'details', adjust?: (input: TicketWorkflowInput) => void) {
  const organisation = createOrganisation(h.db.models);
  const category = (await organisation.categories()).find((c) => c.code === categoryCode)!;
  const emma = (await organisation.usersByIds([await h.userId('emma')]))[0]!;
  const number = nextNumber++;
  const input: TicketWorkflowInput = {
    number,
    draft: { title, description, categoryId: category.id, priority: 'medium', channel: 'portal', customFields: {} },
    requester: requesterProfile(emma),
    config: (await createConfigSnapshots(h.db.models).snapshot({ categoryId: category.id, requesterId: emma.id, customFields: {}, today: '2026-11-23' }))!,
  };
  adjust?.(input);
  const view = await h.env.client.workflow.executeUpdateWithStart(awaitCreatedUpdate, {
    startWorkflowOperation: new WithStartWorkflowOperation<typeof ticketWorkflow>(TICKET_WORKFLOW_TYPE, {
      workflowId: ticketWorkflowId(number),
      taskQueue: h.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return { view, handle: h.env.client.workflow.getHandle(ticketWorkflowId(number)) };
}

describe('ticket workflow', () => {
  test('when a network problem is raised in an IT category, then the keyword rule routes it to Infrastructure and says so', async () => {
    const { view } = await open('it-access', 'VPN access for contractor');
    const infra = await h.db.models.Team.findOne({ where: { code: 'it-infrastructure' } });
    expect(view.teamId).toBe(infra!.get('id'));
    expect(view.routing).toMatchObject({ reason: { kind: 'rule', ruleName: 'Network words in IT requests go to Infrastructure' } });
    // Least-loaded with no open work anywhere: the tie goes to the lowest id among those on shift.
    expect(view.assigneeId).toBe(Math.min(await h.userId('nina'), await h.userId('lee')));
  });

  test('when a ticket goes to a queue-only team, then it stays new and unassigned', async () => {
    const { view } = await open('hr-payroll', 'Payslip question');
    expect(view).toMatchObject({ status: 'new', assigneeId: null, projectedVersion: view.version });
    expect(view.recentEvents.map((e) => e.type)).toEqual(['created', 'routed', 'sla_started']);
  });

  test('when an agent of another team tries to act, then the validator refuses it and history has no trace of it', async () => {
    const { handle, view } = await open('it-laptop', 'Laptop for a new hire');
    const outsider = await actorFor('nina');
    const attempt = handle.executeUpdate(startUpdate, { args: [{ actor: outsider, input: {} }] });
    await expect(attempt).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    const failure = await attempt.catch((err: WorkflowUpdateFailedError) => err.cause);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(TicketErrorType.Forbidden);
    expect((await handle.query(stateQuery)).version).toBe(view.version);
  });

  test('when the same update id is sent twice, then the action happens once', async () => {
    const { handle, view } = await open('it-laptop', 'Double click');
    const alex = await actorFor('alex');
    const lee = { ...alex, userId: view.assigneeId, name: 'Assignee' };
    const first = await handle.executeUpdate(startUpdate, { args: [{ actor: lee, input: {} }], updateId: 'click-1' });
    const second = await handle.executeUpdate(startUpdate, { args: [{ actor: lee, input: {} }], updateId: 'click-1' });
    expect(second).toEqual(first);
    expect((await handle.query(stateQuery)).version).toBe(view.version + 1);
  });

  // Its due-point timers are never cancelled by the ticket itself (patch due-timers-kept); a
  // cancel of the workflow cancels them, and must end the run rather than fail its task.
  test('when an operator cancels the workflow of a ticket with SLA timers, then the run ends cancelled', async () => {
    const { handle } = await open('it-laptop', 'Screen flickers');
    await untilIdle(handle);
    await handle.cancel();
    const outcome = await withDeadline(
      handle.result().then(
        () => 'completed',
        (err: unknown) => (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure ? 'cancelled' : String(err)),
      ),
      15_000,
      'the cancelled workflow to end',
    );
    expect(outcome).toBe('cancelled');
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  test('when the requester cancels, then the workflow completes with the cancelled ticket', async () => {
    const { handle } = await open('hr-payroll', 'Never mind');
    const emma = await actorFor('emma');
    await handle.executeUpdate(cancelUpdate, { args: [{ actor: emma, input: { reason: 'Solved it myself' } }] });
    expect(await handle.result()).toMatchObject({ status: 'cancelled', closedAt: expect.any(String) });
    // A finished ticket takes no more changes: the server refuses the update because the run completed, not for any other reason.
    const refusal = await handle.executeUpdate(resolveUpdate, { args: [{ actor: emma, input: { resolution: 'x' } }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(WorkflowNotFoundError);
    expect((refusal as Error).message).toMatch(/already completed/i);
  });

  test('when a reply is retried with the same update id after a forced continue-as-new, then it posts once', async () => {
    // How long an idle ticket's history is once opened, measured on a twin, so the real one
    // continues as new on the first change after opening and never before. The reply's
    // notifications are recorded in its own workflow task (no activity follows it), so that one
    // task must already see the history past the limit: its start takes it to idleLength + 2.
    const twin = await open('it-laptop', 'Twin');
    const idleLength = await untilIdle(twin.handle);
    const { handle } = await open('it-laptop', 'Retried reply', 'details', (input) => {
      input.config.continueAsNewAfterEvents = idleLength + 1;
    });
    const firstRun = (await handle.describe()).runId;
    const emma = await actorFor('emma');
    const reply = { actor: emma, body: 'The serial number is 12345', visibility: 'public' as const };
    // Still the first run when the reply arrives: it is the reply that crosses the limit.
    expect((await handle.describe()).runId).toBe(firstRun);
    const answered = await handle.executeUpdate(replyUpdate, { args: [reply], updateId: 'reply:emma:key-1' });
    await waitFor('the ticket to continue as new after the reply', async () => (await handle.describe()).runId !== firstRun);
    // The first run took the reply; the retry below goes to the next run, which never saw it.
    const firstHistory = await h.env.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory();
    expect((firstHistory.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === 'reply:emma:key-1')).toBe(true);
    const retried = await handle.executeUpdate(replyUpdate, { args: [reply], updateId: 'reply:emma:key-1' });
    expect(retried.version).toBe(answered.version);
    const replies = await h.db.models.TicketEvent.count({ where: { ticket_number: answered.number, type: 'public_reply' } });
    expect(replies).toBe(1);
    // A new id is a new reply: the check is per id, not a blanket refusal.
    await handle.executeUpdate(replyUpdate, { args: [{ ...reply, body: 'And the model is X1' }], updateId: 'reply:emma:key-2' });
    expect(await h.db.models.TicketEvent.count({ where: { ticket_number: answered.number, type: 'public_reply' } })).toBe(2);
  });

  test('when a reply lands while a ticket due to continue as new is projecting, then both replies are answered and it continues', async () => {
    const twin = await open('hr-payroll', 'Twin for a late reply');
    const idleLength = await untilIdle(twin.handle);
    const { view, handle } = await open('hr-payroll', 'Reply during projection', 'details', (input) => {
      input.config.continueAsNewAfterEvents = idleLength + 3;
    });
    await untilIdle(handle);
    const firstRun = (await handle.describe()).runId;
    const emma = await actorFor('emma');
    // Hold the ticket's row so the first reply's projection is still under way when the second reply is accepted.
    const sqlite = h.db.database.dialect === 'sqlite';
    const lock = await h.db.sequelize.transaction(sqlite ? { type: Transaction.TYPES.IMMEDIATE } : {});
    let released = false;
    try {
      await h.db.sequelize.query('UPDATE tickets SET title = title WHERE number = ?', { replacements: [view.number], transaction: lock });
      const first = handle.executeUpdate(replyUpdate, { args: [{ actor: emma, body: 'First', visibility: 'public' }], updateId: 'late:first' });
      // Projecting: an ordinary projectTicket activity pending, or (local activities, patch
      // local-db-writes) the first reply accepted by a workflow task that is still projecting it.
      await waitFor('the first reply to be projecting', async () => {
        if (((await handle.describe()).raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'projectTicket')) return true;
        const events = (await handle.fetchHistory()).events!;
        const accepted = events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === 'late:first');
        const completed = events.some((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === 'late:first');
        return accepted && !completed;
      });
      const second = handle.executeUpdate(replyUpdate, { args: [{ actor: emma, body: 'Second', visibility: 'public' }], updateId: 'late:second' });
      await waitFor('the second reply to be accepted', async () =>
        (await handle.fetchHistory()).events!.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === 'late:second'),
      );
      await lock.commit();
      released = true;
      const [a, b] = await withDeadline(Promise.all([first, second]), 60_000, 'both replies to be answered (the ticket hangs if it waits to continue as new while the second reply waits for its projection)');
      expect(b.version).toBeGreaterThanOrEqual(a.version);
      await waitFor('the ticket to continue as new', async () => (await handle.describe()).runId !== firstRun);
      expect(await h.db.models.TicketEvent.count({ where: { ticket_number: view.number, type: 'public_reply' } })).toBe(2);
    } finally {
      if (!released) await lock.rollback();
    }
  });
});

async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the workflow has no activity or task in flight and its history stopped growing; answers its length. */
async function untilIdle(handle: ReturnType<typeof h.env.client.workflow.getHandle>): Promise<number> {
  let previous = -1;
  let length = 0;
  await waitFor('the ticket to go idle after opening', async () => {
    const description = await handle.describe();
    previous = length;
    length = description.historyLength;
    return (description.raw.pendingActivities ?? []).length === 0 && !description.raw.pendingWorkflowTask && length === previous;
  });
  return length;
}
