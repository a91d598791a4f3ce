import { loadConfig } from '../lib/config';
import { createSequelize } from '../lib/db/connection';
import { migrateToLatest } from '../lib/db/migrate';
import { defineModels } from '../lib/db/models';
import { seedDemoOrganisation } from '../lib/db/seed';
import { Connection } from '@temporalio/client';
import { temporalConnectionOptions } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/search-attributes';

/**
 * Production one-shot: apply pending migrations (and with --seed-demo, the demo
 * organisation once), then register the ticket search attributes on the cluster.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const sequelize = createSequelize(config.database);
  const applied = await migrateToLatest(sequelize);
  console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema up to date');
  if (process.argv.includes('--seed-demo')) {
    const seeded = await seedDemoOrganisation(sequelize, defineModels(sequelize));
    console.log(seeded ? 'seeded the demo organisation' : 'demo organisation already present');
  }
  await sequelize.close();
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const added = await ensureSearchAttributes(connection, config.temporal.namespace);
  console.log(added.length ? `registered search attributes: ${added.join(', ')}` : 'search attributes present');
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
