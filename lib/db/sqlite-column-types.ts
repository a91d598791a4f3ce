import { aroundEachStatement, type SqliteStatements } from './sqlite-statements';

/**
 * Sequelize's SQLite dialect asks SQLite for a table's columns (`PRAGMA table_info`) before
 * every SELECT, to know which values to parse as dates or JSON. The columns change only when a
 * migration runs, yet that was one more statement, one more trip through libuv's pool and one
 * more callback for every read: of a created ticket's 40-odd statements, a dozen reads each
 * carried it. This keeps each table's answer on the process's connections for a while.
 *
 * Fresh enough:
 * - A statement that alters or drops a table, sent through any of this process's connections,
 *   forgets every answer when it is sent, when it ends and when its connection next commits or
 *   rolls back (a migration's transaction); an answer asked for before any of those and
 *   arriving after is not kept. Creating a table or an index changes no kept answer: a table's
 *   answer is kept only once it has columns.
 * - An answer is kept at most COLUMN_TYPES_KEPT_MS, so a migration run by another process (a
 *   deployment's migration job, while this process already serves) is seen within that time.
 */
export const COLUMN_TYPES_KEPT_MS = 60_000;

type Callback = (err: Error | null, rows?: unknown) => void;


export interface ColumnTypesCache {
  answers: Map<string, { rows: unknown; until: number }>;
  /** Moves on every forgetting, so an answer asked for before it is not kept. */
  generation: number;
  /** Connections that sent a schema change and have not committed or rolled back since. */
  changing: WeakSet<object>;
}

export function createColumnTypesCache(): ColumnTypesCache {
  return { answers: new Map(), generation: 0, changing: new WeakSet() };
}

const COLUMNS_QUESTION = /^PRAGMA table_info\(/;
/** At the start of a statement (`exec` may carry several); a quoted value that merely looks like one costs a re-read, no more. */
const SCHEMA_CHANGE = /(^|;)\s*(ALTER|DROP)\s+TABLE\b/i;
/** The end of the whole transaction: a rollback to a savepoint leaves it open. */
const TRANSACTION_END = /^\s*(COMMIT|END|ROLLBACK(?!\s+TO\b))\b/i;

/** Answers the dialect's column question from `cache` on this connection, and forgets it on any schema change sent through it. */
export function keepColumnTypes(connection: SqliteStatements, cache: ColumnTypesCache, now: () => number = Date.now): void {
  const forget = () => {
    cache.answers.clear();
    cache.generation += 1;
  };
  /** The statement's arguments, with its callback (if any) also forgetting once the schema change has ended. */
  const watched = (sql: string, args: unknown[]): unknown[] => {
    const changes = SCHEMA_CHANGE.test(sql);
    const ends = TRANSACTION_END.test(sql) && cache.changing.has(connection);
    if (!changes && !ends) return args;
    if (changes) cache.changing.add(connection);
    else cache.changing.delete(connection);
    forget();
    const last = args[args.length - 1];
    if (typeof last !== 'function') return args;
    return [
      ...args.slice(0, -1),
      function (this: unknown, ...results: unknown[]) {
        forget();
        return (last as (...a: unknown[]) => unknown).apply(this, results);
      },
    ];
  };
  aroundEachStatement(connection, (method, sql, args, next) => {
    // Only the dialect's own question, asked with a callback and nothing else (a migration's
    // describeTable asks in capitals, through the query path, and is answered by SQLite).
    if (method !== 'all' || !COLUMNS_QUESTION.test(sql) || args.length !== 1 || typeof args[0] !== 'function') return next(sql, ...watched(sql, args));
    const callback = args[0] as Callback;
    const kept = cache.answers.get(sql);
    if (kept && kept.until > now()) {
      process.nextTick(callback, null, kept.rows);
      return connection;
    }
    const askedIn = cache.generation;
    return next(sql, (err: Error | null, rows?: unknown) => {
      const hasColumns = Array.isArray(rows) && rows.length > 0;
      if (!err && hasColumns && cache.generation === askedIn) cache.answers.set(sql, { rows, until: now() + COLUMN_TYPES_KEPT_MS });
      callback(err, rows);
    });
  });
}
