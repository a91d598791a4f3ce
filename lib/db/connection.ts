import fs from 'node:fs';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Sequelize, Transaction } from 'sequelize';
import type { Config } from '../config';
import { trackConfigurationWrites } from './config-generation';
import { createColumnTypesCache, keepColumnTypes } from './sqlite-column-types';
import type { SqliteStatements } from './sqlite-statements';
import { skipStatementStacksOnSuccess } from './sqlite-statement-stacks';
import { keepTransactionConnections, type SqliteConnectionManager } from './sqlite-transaction-connections';

interface SqliteConnection extends SqliteStatements {
  configure(option: 'busyTimeout', value: number): void;
  exec(sql: string, cb: (err: Error | null) => void): void;
}

/**
 * One Sequelize instance per process. SQLite is the embedded default; MySQL 8 or
 * MariaDB when DATABASE_URL says mysql://. Both run the same migrations.
 */
export function createSequelize(database: Config['database'], options: { logging?: (sql: string) => void } = {}): Sequelize {
  if (database.dialect === 'sqlite') {
    const storage = database.url.replace(/^sqlite:(\/\/)?/, '');
    if (storage !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(storage)), { recursive: true });
    const sequelize = new Sequelize({
      dialect: 'sqlite',
      storage,
      logging: options.logging ?? false,
      // SQLite allows one writer at a time: a single connection serialises writes
      // from the API and the worker's activities instead of failing with SQLITE_BUSY.
      pool: { max: 1, min: 0, idle: 10_000 },
      // Only a busy database is worth trying again. (Sequelize's own default says so; an
      // options object without `match` replaced it and retried every failure five times, so a
      // taken unique key or a bad statement failed only after about half a second of backoff.)
      retry: { max: 5, match: [/SQLITE_BUSY/] },
    });
    // Pragmas are per connection. Sequelize's SQLite dialect opens a connection of its own
    // for every transaction and never runs the afterConnect hook for any of them, so they
    // are set here, on each connection it hands out, the first time it is seen.
    const manager = (sequelize as unknown as { connectionManager: { getConnection(options?: unknown): Promise<SqliteConnection> } }).connectionManager;
    const prepared = new WeakSet<SqliteConnection>();
    const columnTypes = createColumnTypesCache();
    const transactionConnections = keepTransactionConnections(manager as unknown as SqliteConnectionManager);
    const openConnection = manager.getConnection.bind(manager);
    manager.getConnection = async (connectionOptions?: unknown) => {
      const connection = await openConnection(connectionOptions);
      if (!prepared.has(connection)) {
        prepared.add(connection);
        // A short busy wait: node-sqlite3 waits on libuv's four pool threads, and four
        // transactions waiting long there starve the one holding the lock of a thread.
        // Sequelize's own retry (above) takes the rest.
        connection.configure('busyTimeout', 1_000);
        keepColumnTypes(connection, columnTypes);
        skipStatementStacksOnSuccess(connection);
        // synchronous=NORMAL: in WAL mode a commit no longer waits on fsync, so the write lock
        // the API and the worker share is held for microseconds instead of a disk flush (the
        // 10-client create bench went from SQLITE_BUSY 500s to none). The database stays
        // consistent on any crash, but a power cut can lose the last commits: the embedded
        // database trades that for speed, and MariaDB is the durable choice for production.
        await new Promise<void>((resolve, reject) =>
          connection.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;', (err) => (err ? reject(err) : resolve())),
        );
        transactionConnections.watch(connection);
      }
      return connection;
    };
    trackConfigurationWrites(sequelize);
    return queueWriteTransactions(sequelize);
  }
  const sequelize = new Sequelize(database.url.replace(/^mariadb:/, 'mysql:'), {
    dialect: 'mysql',
    logging: options.logging ?? false,
    pool: { max: 10, min: 0, idle: 10_000 },
    timezone: '+00:00',
    dialectOptions: { dateStrings: false, supportBigNumbers: true },
  });
  // Every transaction here is a short write (lib/db/deadlock.ts): READ COMMITTED, so InnoDB
  // takes no gap locks and inserts of unrelated keys never wait on each other. Set once per
  // connection rather than by each transaction, which cost a statement per transaction (and,
  // being a session setting, left a connection's later transactions at whatever the one
  // before had asked for).
  sequelize.addHook('afterConnect', async (connection) => {
    const mysql = connection as { query(sql: string, callback: (err: Error | null) => void): void; destroy(): void };
    try {
      await new Promise<void>((resolve, reject) => mysql.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      // The pool never gets this connection: close it rather than leave it open.
      mysql.destroy();
      throw err;
    }
  });
  trackConfigurationWrites(sequelize);
  return sequelize;
}

/**
 * SQLite takes one writer at a time. Write transactions (BEGIN IMMEDIATE) of one process
 * queue here, in order, instead of each busy-waiting on its own connection: node-sqlite3's
 * busy waits hold libuv's four pool threads, so ten at once (ten tickets created together,
 * each assigning in its first workflow task) starved the transaction holding the lock of a
 * thread to commit on, and every one of them failed with SQLITE_BUSY after ten seconds.
 * Another process (API beside worker) still meets the lock, with one waiter from each.
 */
function queueWriteTransactions(sequelize: Sequelize): Sequelize {
  const transaction = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  const holding = new AsyncLocalStorage<true>();
  let tail: Promise<unknown> = Promise.resolve();
  (sequelize as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args: unknown[]) => {
    const [options, callback] = args as [{ type?: string } | undefined, unknown];
    // Only managed write transactions, and never one started inside another (it would wait on itself).
    if (typeof callback !== 'function' || options?.type !== Transaction.TYPES.IMMEDIATE || holding.getStore()) return transaction(...args);
    const run = tail.then(() => holding.run(true, () => transaction(...args)));
    tail = run.catch(() => undefined);
    return run;
  };
  return sequelize;
}
