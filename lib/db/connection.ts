import fs from 'node:fs';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import type { Config } from '../config';

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
      retry: { max: 5 },
    });
    // Pragmas are per connection, and the pool may reopen its connection at any time.
    sequelize.addHook('afterConnect', async (connection: unknown) => {
      const db = connection as { exec(sql: string, cb: (err: Error | null) => void): void };
      await new Promise<void>((resolve, reject) =>
        db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON;', (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    });
    return sequelize;
  }
  return new Sequelize(database.url.replace(/^mariadb:/, 'mysql:'), {
    dialect: 'mysql',
    logging: options.logging ?? false,
    pool: { max: 10, min: 0, idle: 10_000 },
    timezone: '+00:00',
    dialectOptions: { dateStrings: false, supportBigNumbers: true },
  });
}
