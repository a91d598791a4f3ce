import type { Logger } from 'pino';
import { Transaction, type Sequelize, type TransactionOptions } from 'sequelize';

/**
 * InnoDB breaks a lock cycle by rolling one transaction back (ER_LOCK_DEADLOCK, 1213) and
 * may give up waiting for a lock (ER_LOCK_WAIT_TIMEOUT, 1205); SQLite answers SQLITE_BUSY when
 * its busy timeout runs out. All leave nothing behind, so the transaction can simply run again.
 */
export function isRetryableLockError(err: unknown): boolean {
  const e = err as { parent?: { errno?: number; code?: string }; original?: { errno?: number; code?: string } } | null;
  const cause = e?.parent ?? e?.original;
  if (!cause) return false;
  return cause.errno === 1213 || cause.errno === 1205 || ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY'].includes(cause.code ?? '');
}

export interface DeadlockRetryOptions {
  logger: Pick<Logger, 'warn'>;
  /** What the transaction does, for the log line. */
  what: string;
  context?: Record<string, unknown>;
  /** Attempts in all, the first included. */
  attempts?: number;
}

/**
 * Runs a whole transaction again when the database chose it as a deadlock victim: a
 * bounded number of times, with a short jittered pause so the two parties do not collide
 * again in step. Each retry is logged as a warning (an expected, recoverable event); the
 * last failure is thrown to the caller (for an activity, Temporal's retry takes over).
 */
export async function withDeadlockRetry<T>(work: () => Promise<T>, { logger, what, context = {}, attempts = 5 }: DeadlockRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isRetryableLockError(err) || attempt >= attempts) throw err;
      const cause = (err as { parent?: { code?: string; sql?: string } }).parent;
      const code = cause?.code ?? 'lock error';
      logger.warn({ ...context, attempt, code, sql: cause?.sql?.slice(0, 200), event: 'db.deadlock_retry' }, `${what}: ${code}, retrying the transaction`);
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 20 * attempt));
    }
  }
}

/**
 * Options for a short write transaction on either database: on InnoDB none, every connection
 * being READ COMMITTED from the start (lib/db/connection.ts: no gap locks, so inserts of
 * unrelated keys never wait on each other); on SQLite the write lock taken at BEGIN, since a
 * deferred transaction that waited behind another writer finds its snapshot stale and fails
 * however long its busy timeout.
 */
export function writeTransactionOptions(sequelize: Sequelize): TransactionOptions {
  const dialect = sequelize.getDialect();
  return dialect === 'mysql' || dialect === 'mariadb' ? {} : { type: Transaction.TYPES.IMMEDIATE };
}
