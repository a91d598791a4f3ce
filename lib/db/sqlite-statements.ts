/** The three ways node-sqlite3 runs a statement on a connection, which Sequelize's SQLite dialect uses. */
export interface SqliteStatements {
  all(sql: string, ...args: unknown[]): unknown;
  run(sql: string, ...args: unknown[]): unknown;
  exec(sql: string, ...args: unknown[]): unknown;
}

export type StatementMethod = keyof SqliteStatements;

/** Puts `around` in front of each statement method of `connection`; it calls `next` to run the statement. */
export function aroundEachStatement(
  connection: SqliteStatements,
  around: (method: StatementMethod, sql: string, args: unknown[], next: (sql: string, ...args: unknown[]) => unknown) => unknown,
): void {
  for (const method of ['all', 'run', 'exec'] as const) {
    const next = connection[method].bind(connection);
    connection[method] = (sql: string, ...args: unknown[]) => around(method, sql, args, next);
  }
}
