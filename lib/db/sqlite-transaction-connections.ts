import { aroundEachStatement, type SqliteStatements } from './sqlite-statements';

/**
 * Sequelize's SQLite dialect opens a connection of its own for every transaction and closes it
 * when the transaction ends: a file to open, the schema for SQLite to read and parse again at
 * the first statement, the connection's pragmas, then a close. An empty transaction cost about
 * 0.65 ms of CPU, and a created ticket takes three (assignment, projection, the emails' claim).
 *
 * This keeps a few such connections open between transactions. A connection goes back to the
 * idle ones only when Sequelize releases it after its transaction ended well, and only if it
 * ran nothing but plain statements: anything that could change a connection for later (a
 * pragma, a schema change, an attached database, a temporary table, several statements in one
 * `exec`) marks it, and a marked connection is closed on release as before.
 *
 * A COMMIT or ROLLBACK that failed makes Sequelize destroy the connection instead, which for
 * SQLite did nothing at all (it asks a pool the connection was never in): the connection stayed
 * open, its transaction with it, and a failed COMMIT of a write transaction kept the database's
 * write lock until the process ended. Destroying now closes it, which rolls that back.
 */
export const IDLE_TRANSACTION_CONNECTIONS = 4;

interface Connection extends SqliteStatements {
  uuid?: string;
  filename?: string;
  close(callback?: (err: Error | null) => void): void;
}

export interface SqliteConnectionManager {
  connections: Record<string, Connection>;
  getConnection(options?: unknown): Promise<Connection>;
  releaseConnection(connection: Connection, force?: boolean): unknown;
  destroyConnection(connection: Connection): Promise<unknown>;
  _onProcessExit(): Promise<unknown>;
}

/** Statements that leave a connection as they found it once their transaction has ended. */
const PLAIN = /^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA\s+table_info\s*\()/i;
/** A second statement after the first (a trailing semicolon alone is fine); only `exec` runs more than the first. */
const SEVERAL = /;\s*\S/;

export function keepTransactionConnections(manager: SqliteConnectionManager, idleAtMost = IDLE_TRANSACTION_CONNECTIONS) {
  const idle: Connection[] = [];
  const marked = new WeakSet<Connection>();
  const open = manager.getConnection.bind(manager);
  const release = manager.releaseConnection.bind(manager);
  const exit = manager._onProcessExit.bind(manager);

  manager.getConnection = async (options?: unknown) => {
    const uuid = (options as { uuid?: string } | undefined)?.uuid;
    const reused = uuid && uuid !== 'default' ? idle.pop() : undefined;
    if (!reused) return open(options);
    // Where Sequelize looks its transaction's connection up, as if it had just opened it.
    manager.connections[uuid!] = reused;
    return reused;
  };
  const destroy = manager.destroyConnection.bind(manager);
  let closed = false;
  const close = (connection: Connection) =>
    new Promise<void>((resolve) =>
      connection.close((err) => {
        // Not thrown: the caller (a failed transaction's cleanup, or shutdown) has its own error to report.
        if (err) process.emitWarning(`could not close a SQLite transaction connection: ${err.message}`);
        resolve();
      }),
    );

  manager.releaseConnection = (connection: Connection, force?: boolean) => {
    const { uuid } = connection;
    const keep = !closed && uuid !== undefined && uuid !== 'default' && !force && connection.filename !== ':memory:' && !marked.has(connection) && idle.length < idleAtMost;
    if (!keep) return release(connection, force);
    delete manager.connections[uuid];
    idle.push(connection);
    return undefined;
  };
  manager.destroyConnection = async (connection: Connection) => {
    const { uuid } = connection;
    if (uuid === undefined || uuid === 'default' || connection.filename === ':memory:') return destroy(connection);
    marked.add(connection);
    if (manager.connections[uuid] === connection) delete manager.connections[uuid];
    await close(connection);
    return undefined;
  };
  manager._onProcessExit = async () => {
    closed = true;
    await Promise.all([...idle.splice(0).map(close), exit()]);
  };

  return {
    /** Watches a newly opened connection's statements from now on, to mark it once one is not plain. */
    watch(connection: SqliteStatements): void {
      aroundEachStatement(connection, (method, sql, args, next) => {
        if (!PLAIN.test(sql) || (method === 'exec' && SEVERAL.test(sql))) marked.add(connection as Connection);
        return next(sql, ...args);
      });
    },
  };
}
