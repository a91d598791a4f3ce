import type { AccountDirectory } from '../accounts';
import type { Config } from '../config';
import { createSequelize } from './connection';
import { defineModels } from './models';
import { createOrganisation } from './organisation';

/** The local issuer's view of who can sign in: the users table, read live so admin changes apply at next login. */
export async function openAccountDirectory(config: Config): Promise<AccountDirectory & { close(): Promise<void> }> {
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const organisation = createOrganisation(defineModels(sequelize));
  return {
    list: () => organisation.accounts(),
    async findBySub(sub: string) {
      return (await organisation.accounts()).find((a) => a.sub === sub);
    },
    close: () => sequelize.close(),
  };
}
