import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createActivities } from '../../activities';
import type { ProjectionBatch, TicketState } from '../../workflows/definitions';
import { decideStep, startChain, type ChainState } from '../../workflows/domain/approvals';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The deadlock path CI hit on MariaDB (defect 4): many tickets projected for the first time
 * at once, then moved on at once, each with share and approval-task rows. On SQLite this
 * checks the same outcome (one writer at a time there, so no deadlock is possible).
 */
let db: TestDatabase;
let activities: ReturnType<typeof createActivities>;
const logLines: Array<Record<string, unknown>> = [];
const mockEnv = new MockActivityEnvironment();

beforeAll(async () => {
  db = await createTestDatabase();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  activities = createActivities({ sequelize: db.sequelize, models: db.models, logger: pino({ level: 'warn' }, sink) });
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

const BASE = 50_000;
const COUNT = 60;
const CREATED = '2026-11-23T09:00:00.000Z';

function chain(): ChainState {
  return startChain(
    [
      { name: 'Manager', approverIds: [3, 4], required: 1, mode: 'any', remindAfterHours: null, escalateAfterHours: null },
      { name: 'Finance', approverIds: [5], required: 1, mode: 'all', remindAfterHours: null, escalateAfterHours: null },
    ],
    new Date(CREATED),
  );
}

function state(number: number, version: number, status: TicketState['status'], approval: ChainState, shares: TicketState['shares']): TicketState {
  return {
    number,
    title: `Parallel ${number}`,
    description: 'd',
    status,
    priority: 'medium',
    channel: 'import',
    categoryId: 1,
    departmentId: 1,
    teamId: 1,
    assigneeId: null,
    requesterId: 1,
    customFields: {},
    routing: null,
    version,
    createdAt: CREATED,
    updatedAt: new Date(Date.parse(CREATED) + version * 60_000).toISOString(),
    resolvedAt: null,
    closedAt: null,
    approval,
    shares,
  };
}

/** A batch of one event; a ticket's first is its creation, as a workflow's first projection is. */
function batch(ticket: TicketState): ProjectionBatch {
  return {
    ticket,
    workflowId: `ticket-${ticket.number}`,
    events: [{ seq: ticket.version, type: ticket.version === 1 ? 'created' : `step-${ticket.version}`, actorId: null, actorName: 'System', fromStatus: null, toStatus: ticket.status, data: {}, occurredAt: ticket.updatedAt, visibility: 'public' }],
  };
}

/** Runs projections `width` at a time, like a worker's activity slots (SQLite opens a connection per transaction). */
async function project(batches: ProjectionBatch[], width = 10) {
  const results: Array<{ applied: boolean }> = new Array(batches.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < batches.length; i = next++) results[i] = await mockEnv.run(activities.projectTicket, batches[i]!);
    }),
  );
  return results;
}

const numbers = Array.from({ length: COUNT }, (_, i) => BASE + i);
const deadlockRetries = () => logLines.filter((l) => l.event === 'db.deadlock_retry');

describe('parallel projections on the read model', () => {
  test('when many new tickets are projected for the first time at once, then every one lands exactly once and no transaction deadlocks', async () => {
    // Interleaved numbers, as workflows finish their first step in any order.
    const order = [...numbers].sort((a, b) => (a % 7) - (b % 7) || b - a);
    const results = await project(order.map((n) => batch(state(n, 1, 'pending_approval', chain(), []))));
    expect(results.every((r) => r.applied)).toBe(true);
    expect(deadlockRetries()).toEqual([]);
    expect(await db.models.Ticket.count({ where: { number: numbers } })).toBe(COUNT);
    expect(await db.models.TicketEvent.count({ where: { ticket_number: numbers } })).toBe(COUNT);
    expect(await db.models.ApprovalTask.count({ where: { ticket_number: numbers, status: 'pending' } })).toBe(COUNT * 2);
  }, 120_000);

  test('when they all move on at once, with shares added and approvals decided, then each row shows the newest state and its derived rows match it', async () => {
    const decided = () => decideStep(chain(), 3, 3, 'approve', null, new Date(Date.parse(CREATED) + 120_000)).chain;
    const second = (n: number) => batch(state(n, 2, 'pending_approval', decided(), n % 2 ? [{ teamId: 2, access: 'read' }] : []));
    // Each ticket's second batch twice (a retried activity) and its first batch again (a late duplicate), all at once.
    const work = numbers.flatMap((n) => [second(n), second(n), batch(state(n, 1, 'pending_approval', chain(), []))]);
    const results = await project(work);
    expect(results.filter((r) => r.applied)).toHaveLength(COUNT);
    expect(deadlockRetries()).toEqual([]);
    const rows = await db.models.Ticket.findAll({ where: { number: numbers }, attributes: ['number', 'seq'] });
    expect(rows.map((r) => r.get('seq'))).toEqual(numbers.map(() => 2));
    expect(await db.models.TicketEvent.count({ where: { ticket_number: numbers } })).toBe(COUNT * 2);
    expect(await db.models.TicketShare.count({ where: { ticket_number: numbers } })).toBe(COUNT / 2);
    const tasks = await db.models.ApprovalTask.findAll({ where: { ticket_number: BASE + 1 }, order: [['step', 'ASC'], ['approver_id', 'ASC']], raw: true });
    expect(tasks.map((t: any) => [t.step, t.approver_id, t.status])).toEqual([
      [0, 3, 'approve'],
      [0, 4, 'not_needed'],
      [1, 5, 'pending'],
    ]);
  }, 120_000);

  test('when a ticket loses a share, then its share row goes and the others stay', async () => {
    const n = BASE + 1;
    const decided = decideStep(chain(), 3, 3, 'approve', null, new Date(Date.parse(CREATED) + 120_000)).chain;
    await mockEnv.run(activities.projectTicket, batch(state(n, 3, 'pending_approval', decided, [{ teamId: 3, access: 'write' }])));
    const shares = await db.models.TicketShare.findAll({ where: { ticket_number: n }, raw: true });
    expect(shares.map((s: any) => [s.team_id, s.access])).toEqual([[3, 'write']]);
    expect(await db.models.TicketShare.count({ where: { ticket_number: BASE + 3 } })).toBe(1);
  });
});
