import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import type { Config } from '../../lib/config';
import { createSequelize } from '../../lib/db/connection';
import { migrateToLatest } from '../../lib/db/migrate';
import { defineModels, type Models } from '../../lib/db/models';
import { seedDemoOrganisation } from '../../lib/db/seed';

export interface TestDatabase {
  database: Config['database'];
  sequelize: Sequelize;
  models: Models;
  drop(): Promise<void>;
}

/**
 * A migrated, seeded database of its own for one test file: a temporary SQLite file by
 * default, or a fresh database on the MySQL/MariaDB server DATABASE_URL points at.
 */
export async function createTestDatabase(options: { sqliteAlways?: boolean } = {}): Promise<TestDatabase> {
  // Tests of SQLite-only behaviour ask for SQLite whatever DATABASE_URL says.
  const url = options.sqliteAlways ? undefined : process.env.DATABASE_URL;
  const suffix = crypto.randomBytes(4).toString('hex');
  let database: Config['database'];
  let cleanup: () => Promise<void>;
  if (url && /^(mysql|mariadb):/.test(url)) {
    const server = new URL(url.replace(/^mariadb:/, 'mysql:'));
    const name = `${server.pathname.slice(1) || 'ticketing'}_t_${suffix}`;
    const admin = new Sequelize(`mysql://${server.username}:${server.password}@${server.host}/`, { dialect: 'mysql', logging: false });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    server.pathname = `/${name}`;
    database = { url: server.toString(), dialect: 'mysql' };
    cleanup = async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.close();
    };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-test-'));
    database = { url: `sqlite://${path.join(dir, 'tickets.sqlite')}`, dialect: 'sqlite' };
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  const sequelize = createSequelize(database);
  await migrateToLatest(sequelize);
  const models = defineModels(sequelize);
  await seedDemoOrganisation(sequelize, models);
  return {
    database,
    sequelize,
    models,
    async drop() {
      await sequelize.close();
      await cleanup();
    },
  };
}
