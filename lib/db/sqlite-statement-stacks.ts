import { aroundEachStatement, type SqliteStatements } from './sqlite-statements';

/**
 * Sequelize's SQLite dialect creates an Error before every statement and reads its `stack` in
 * the statement's callback, so that a failed statement's error can carry its caller's stack.
 * With source maps on (tsx turns them on), Node maps every frame of that stack through the
 * source maps: in the worker that was about a twentieth of its CPU per created ticket, spent
 * on statements that succeeded and never use the stack.
 *
 * While the callback of a statement that succeeded runs, a stack read for the first time is
 * only its error's heading: formatting the frames at all, even without source maps, cost a
 * third of what mapping them did. Only Sequelize's own error is read there (an error created
 * there and read later is formatted when read, the usual way). A failed statement's callback
 * runs with the process's usual formatting, source-mapped.
 */
export function skipStatementStacksOnSuccess(connection: SqliteStatements): void {
  aroundEachStatement(connection, (_method, sql, args, next) => {
    const last = args[args.length - 1];
    if (typeof last !== 'function') return next(sql, ...args);
    const callback = last as (this: unknown, err: Error | null, ...results: unknown[]) => unknown;
    return next(sql, ...args.slice(0, -1), function (this: unknown, err: Error | null, ...results: unknown[]) {
      if (err) return callback.call(this, err, ...results);
      const usual = Error.prepareStackTrace;
      Error.prepareStackTrace = headingOnly;
      try {
        return callback.call(this, err, ...results);
      } finally {
        Error.prepareStackTrace = usual;
      }
    });
  });
}

function headingOnly(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return 'Error';
  }
}
