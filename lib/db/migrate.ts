import path from 'node:path';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Sequelize } from 'sequelize';

const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

/** Umzug over the project's migrations folder; the same files serve SQLite and MySQL. */
export function createMigrator(sequelize: Sequelize, logger?: (message: string) => void) {
  return new Umzug({
    migrations: { glob: ['*.ts', { cwd: MIGRATIONS_DIR }] },
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: logger
      ? { info: (m) => logger(`migration ${JSON.stringify(m)}`), warn: () => {}, error: () => {}, debug: () => {} }
      : undefined,
  });
}

export async function migrateToLatest(sequelize: Sequelize, logger?: (message: string) => void): Promise<string[]> {
  const applied = await createMigrator(sequelize, logger).up();
  return applied.map((m) => m.name);
}
