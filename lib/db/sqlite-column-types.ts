/**
 * Sequelize's SQLite dialect asks SQLite for a table's columns (`PRAGMA table_info`) before
 * every SELECT, to know which values to parse as dates or JSON. The columns change only when a
 * migration runs, yet that was one more statement, one more trip through libuv's pool and one
 * more callback for every read: of a created ticket's 40-odd statements, a dozen reads each
 * carried it. This keeps each table's answer on the process's connections for a while.
 *
 * Fresh enough: a schema change made through this process (CREATE, ALTER, DROP) forgets every
 * table at once, and an answer is kept at most COLUMN_TYPES_KEPT_MS, so a migration run by
 * another process (a deployment's migration job) is seen within that time. A process running
 * code older than a new column does not read that column anyway.
 */
export const COLUMN_TYPES_KEPT_MS = 60_000;

type Callback = (err: Error | null, rows?: unknown) => void;

export interface SqliteStatements {
  all(sql: string, ...args: unknown[]): unknown;
  run(sql: string, ...args: unknown[]): unknown;
  exec(sql: string, ...args: unknown[]): unknown;
}

export interface ColumnTypesCache {
  answers: Map<string, { rows: unknown; until: number }>;
}

export function createColumnTypesCache(): ColumnTypesCache {
  return { answers: new Map() };
}

const COLUMNS_QUESTION = /^PRAGMA table_info\(/;
const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i;

/** Answers the dialect's column question from `cache` on this connection, and forgets it on any schema change sent through it. */
export function keepColumnTypes(connection: SqliteStatements, cache: ColumnTypesCache, now: () => number = Date.now): void {
  const all = connection.all.bind(connection);
  const run = connection.run.bind(connection);
  const exec = connection.exec.bind(connection);
  const forgetOnSchemaChange = (sql: string) => {
    if (SCHEMA_CHANGE.test(sql)) cache.answers.clear();
  };
  connection.all = (sql: string, ...args: unknown[]) => {
    forgetOnSchemaChange(sql);
    // Only the dialect's own question, asked with a callback and nothing else (a migration's
    // describeTable asks in capitals, through the query path, and is answered by SQLite).
    if (!COLUMNS_QUESTION.test(sql) || args.length !== 1 || typeof args[0] !== 'function') return all(sql, ...args);
    const callback = args[0] as Callback;
    const kept = cache.answers.get(sql);
    if (kept && kept.until > now()) {
      process.nextTick(callback, null, kept.rows);
      return connection;
    }
    return all(sql, (err: Error | null, rows?: unknown) => {
      if (!err) cache.answers.set(sql, { rows, until: now() + COLUMN_TYPES_KEPT_MS });
      callback(err, rows);
    });
  };
  connection.run = (sql: string, ...args: unknown[]) => {
    forgetOnSchemaChange(sql);
    return run(sql, ...args);
  };
  connection.exec = (sql: string, ...args: unknown[]) => {
    forgetOnSchemaChange(sql);
    return exec(sql, ...args);
  };
}
