import type { Logger } from 'pino';
import { QueryTypes, Transaction, type Sequelize } from 'sequelize';

/**
 * The tables lists read by more than a key: the tickets, and the approval tasks and shares their
 * visibility condition looks in. Timelines, messages and notifications are read by ticket or
 * person through an index whatever the statistics say, so they are not counted each minute.
 */
export const PLANNED_TABLES = ['tickets', 'approval_tasks', 'ticket_shares'] as const;

/** A table is analysed again once its row count moved by this share since the last analysis… */
const CHANGED_SHARE = 0.25;
/** …and by at least this many rows: below that any plan is fast. */
const CHANGED_ROWS = 1000;
const CHECK_EVERY_MS = 60_000;

export interface PlannerStatistics {
  /** Counts each table and analyses those that changed enough; answers what it analysed. */
  check(): Promise<Array<{ table: string; rows: number; ms: number }>>;
  /** Stops checking; resolves once a pass under way has finished. */
  stop(): Promise<void>;
}

/**
 * Keeps SQLite's query-planner statistics (sqlite_stat1) in step with the tables. SQLite
 * never gathers them itself, and without them it guesses that an index narrows any
 * condition: a manager's department list (23,000 of 100,000 tickets) then fetched and sorted
 * every matching row for a page of 20 (26 ms) instead of walking the updated_at index (0.3 ms).
 * The process that reads lists (the API) runs this; its own connection rereads the statistics
 * after each ANALYZE, and connections opened later (other processes') read them as they open.
 * MariaDB's InnoDB recalculates its own once a tenth of a table changed, so there it does nothing.
 *
 * A full ANALYZE of a table costs about 0.5 ms per thousand rows and holds the write lock
 * meanwhile; it runs only when a table's size moved by a quarter (a bulk import, a first
 * month of use), and a sampled one (analysis_limit) estimated one distinct value per thousand
 * rows, which misled the planner worse than none.
 */
export function createPlannerStatistics(sequelize: Sequelize, logger: Pick<Logger, 'info' | 'warn'>): PlannerStatistics {
  const sqlite = sequelize.getDialect() === 'sqlite';
  let analysedAt: Map<string, number> | undefined;
  let running: Promise<Array<{ table: string; rows: number; ms: number }>> | undefined;

  async function analyseChanged(): Promise<Array<{ table: string; rows: number; ms: number }>> {
    analysedAt ??= await recordedRowCounts(sequelize);
    const done: Array<{ table: string; rows: number; ms: number }> = [];
    for (const table of PLANNED_TABLES) {
      const [counted] = await sequelize.query<{ rows: number }>(`SELECT count(*) AS rows FROM ${table}`, { type: QueryTypes.SELECT });
      const rows = Number(counted!.rows);
      // A table never analysed counts as empty: it is analysed once it holds enough rows to matter.
      const before = analysedAt.get(table) ?? 0;
      if (Math.abs(rows - before) < Math.max(CHANGED_ROWS, before * CHANGED_SHARE)) continue;
      const started = performance.now();
      // ANALYZE writes sqlite_stat1, so it takes the write lock: in this process's queue of write
      // transactions (lib/db/connection.ts), on a connection of its own, rather than busy-waiting
      // for the lock on the connection every read outside a transaction shares.
      await sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, (transaction) => sequelize.query(`ANALYZE ${table}`, { transaction }));
      analysedAt.set(table, rows);
      const entry = { table, rows, ms: Math.round(performance.now() - started) };
      logger.info(entry, 'planner statistics refreshed');
      done.push(entry);
    }
    // A connection reads the statistics when it opens; the one reads share is told to read them again.
    if (done.length > 0) await sequelize.query('ANALYZE sqlite_schema');
    return done;
  }

  const check = () => {
    if (!sqlite) return Promise.resolve([]);
    // One pass at a time: a slow ANALYZE must not have the next tick start a second.
    running ??= analyseChanged().finally(() => (running = undefined));
    return running;
  };
  const timer = sqlite ? setInterval(() => void check().catch((err: unknown) => logger.warn({ err }, 'planner statistics not refreshed')), CHECK_EVERY_MS).unref() : undefined;
  return {
    check,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** The row count each table had at its last ANALYZE (any process's, kept in sqlite_stat1), so a restart does not analyse afresh. */
async function recordedRowCounts(sequelize: Sequelize): Promise<Map<string, number>> {
  const exists = await sequelize.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`, { type: QueryTypes.SELECT });
  if (exists.length === 0) return new Map();
  const rows = await sequelize.query<{ tbl: string; stat: string }>('SELECT tbl, stat FROM sqlite_stat1', { type: QueryTypes.SELECT });
  // Every row of a table's statistics starts with the table's row count.
  return new Map(rows.map((r) => [r.tbl, Number(r.stat.split(' ')[0])]));
}
