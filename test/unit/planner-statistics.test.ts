import pino from 'pino';
import { QueryTypes, Sequelize } from 'sequelize';
import { createTicketReads } from '../../api/ticket-reads';
import { ListTicketsQuery } from '../../api/schemas';
import { demoSubject } from '../../lib/db/demo-org';
import { createOrganisation } from '../../lib/db/organisation';
import { createPlannerStatistics } from '../../lib/db/planner-statistics';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const logger = pino({ level: 'silent' });
let db: TestDatabase;

beforeAll(async () => {
  // The statistics are SQLite's: these tests run on SQLite in the MariaDB suite too.
  db = await createTestDatabase({ sqliteAlways: true });
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

async function insertTickets(from: number, count: number): Promise<void> {
  const at = Date.UTC(2026, 0, 5);
  for (let start = 0; start < count; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, count - start) }, (_, k) => {
      const i = start + k;
      return {
        number: from + i,
        workflow_id: `ticket-${from + i}`,
        title: `Row ${i}`,
        description: 'd',
        status: 'assigned',
        priority: 'medium',
        channel: 'portal',
        category_id: 1,
        department_id: 1 + (i % 4),
        team_id: 1 + (i % 3),
        assignee_id: null,
        requester_id: 1 + (i % 15),
        custom_fields: {},
        sla_breached: false,
        seq: 1,
        created_at: new Date(at + i * 60_000),
        updated_at: new Date(at + i * 60_000),
      };
    });
    await db.models.Ticket.bulkCreate(rows);
  }
}

/** The plan SQLite chooses for the page a manager sees first: his department's and his own tickets, newest first. */
async function managerListPlan(): Promise<string> {
  const mark = (await createOrganisation(db.models).userBySubject(demoSubject('mark')))!;
  const captured: string[] = [];
  const options = (db.sequelize as unknown as { options: { logging?: unknown } }).options;
  options.logging = (sql: string) => captured.push(sql.replace(/^Executing \([^)]*\): /, ''));
  try {
    await createTicketReads(db.models).list(ListTicketsQuery.parse({ limit: '20' }), mark);
  } finally {
    options.logging = false;
  }
  const page = captured.find((sql) => sql.includes('ORDER BY'))!;
  const plan = await db.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${page.replace(/;$/, '')}`, { type: QueryTypes.SELECT });
  return plan.map((p) => p.detail).join(' | ');
}

describe('on SQLite', () => {
  test('tables too small for a plan to matter are not analysed', async () => {
    const statistics = createPlannerStatistics(db.sequelize, logger);
    expect(await statistics.check()).toEqual([]);
    await statistics.stop();
    expect(await db.sequelize.query(`SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'`, { type: QueryTypes.SELECT })).toEqual([]);
  });

  test('after a bulk load only the grown table is analysed, and a manager’s first page then walks the updated_at index instead of sorting his whole department', async () => {
    const statistics = createPlannerStatistics(db.sequelize, logger);
    await statistics.check();
    await insertTickets(5_000_000, 20_000);
    expect(await managerListPlan()).toContain('USE TEMP B-TREE FOR ORDER BY');

    const analysed = await statistics.check();
    expect(analysed.map((e) => ({ table: e.table, rows: e.rows }))).toEqual([{ table: 'tickets', rows: expect.any(Number) }]);
    expect(analysed[0]!.rows).toBeGreaterThanOrEqual(20_000);
    const plan = await managerListPlan();
    expect(plan).toContain('SCAN Ticket USING INDEX tickets_updated_at');
    expect(plan).not.toContain('TEMP B-TREE');
    await statistics.stop();
  }, 60_000);

  test('a restarted process takes the row counts of the last analysis from the database, so it analyses nothing new', async () => {
    const before = createPlannerStatistics(db.sequelize, logger);
    await before.check();
    await before.stop();
    const restarted = createPlannerStatistics(db.sequelize, logger);
    expect(await restarted.check()).toEqual([]);
    await insertTickets(6_000_000, 900);
    expect(await restarted.check()).toEqual([]);
    await insertTickets(6_100_000, 6_000);
    expect((await restarted.check()).map((e) => e.table)).toEqual(['tickets']);
    await restarted.stop();
  }, 60_000);

  test('past a thousand rows a table is analysed again once it changed by a quarter, not before', async () => {
    const statistics = createPlannerStatistics(db.sequelize, logger);
    await statistics.check();
    const rows = await db.models.Ticket.count();
    expect(rows).toBeGreaterThan(8_000);
    // More than a thousand rows, less than a quarter: not yet.
    const step = Math.ceil(rows * 0.15);
    await insertTickets(7_000_000, step);
    expect(await statistics.check()).toEqual([]);
    // Past a quarter of the count at the last analysis.
    await insertTickets(7_100_000, step);
    expect((await statistics.check()).map((e) => e.table)).toEqual(['tickets']);
    await statistics.stop();
  }, 60_000);
});

describe('on MariaDB', () => {
  test('nothing is analysed and nothing is asked of the database: InnoDB keeps its own statistics', async () => {
    // A MySQL-dialect instance that could not connect anywhere: any query would fail the test.
    const mariadb = new Sequelize('mysql://nobody:nothing@127.0.0.1:9/none', { dialect: 'mysql', logging: false, pool: { max: 1, acquire: 1000 } });
    const statistics = createPlannerStatistics(mariadb, logger);
    expect(await statistics.check()).toEqual([]);
    await statistics.stop();
    await mariadb.close();
  });
});
