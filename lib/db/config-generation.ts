import crypto from 'node:crypto';
import type { QueryOptions, Sequelize, Transaction } from 'sequelize';

/**
 * The configuration generation: a token in `app_meta` that changes after every write to a
 * table a new ticket's configuration is read from, so the API can keep that configuration
 * between creates and know, with one read, when it must read it again.
 *
 * Every process's Sequelize instance (createSequelize) watches its own statements: an INSERT,
 * UPDATE, DELETE or TRUNCATE of one of these tables sets a new random token once the write is
 * committed (after the transaction, so no transaction ever holds the token's row while it
 * writes elsewhere: two configuration transactions cannot deadlock over it). A random token
 * rather than a counter: a database reset and reseed can never bring back a token a cache
 * still holds. Writes made outside the product (by hand in a SQL console) set no token; the
 * cache's age limit (config-snapshot.ts) bounds how long a new ticket can miss them.
 */
export const CONFIG_GENERATION_KEY = 'config_generation';

/** The tables the cached part of a new ticket's configuration is read from (lib/db/config-snapshot.ts). */
export const CONFIGURATION_TABLES = new Set([
  'app_meta',
  'teams',
  'team_members',
  'users',
  'departments',
  'routing_rules',
  'business_calendars',
  'business_calendar_versions',
  'sla_policies',
  'sla_policy_versions',
]);

/**
 * Query options the generation understands. `keepsConfiguration` marks a write to one of the
 * tables that changes nothing a configuration snapshot reads (a team's round-robin pointer,
 * moved by every assignment); `configGenerationWrite` marks the token's own writes.
 */
export interface ConfigurationWriteOptions {
  keepsConfiguration?: boolean;
  configGenerationWrite?: boolean;
}

const WRITTEN_TABLE = /^\s*(?:insert(?:\s+or\s+\w+)?(?:\s+ignore)?\s+into|replace\s+into|update(?:\s+ignore)?|delete\s+from|truncate(?:\s+table)?)\s+[`"[]?(\w+)/i;

/** The table a data-changing statement writes, or undefined for a read (or anything else). */
export function writtenTable(sql: string): string | undefined {
  return WRITTEN_TABLE.exec(sql)?.[1]?.toLowerCase();
}

/**
 * Sets a new token. A failure is not the write's failure (the write is in): it is swallowed, and
 * caches keep the configuration they hold for at most their age limit.
 */
async function setToken(sequelize: Sequelize): Promise<void> {
  const options = { replacements: { key: CONFIG_GENERATION_KEY, token: crypto.randomUUID() }, configGenerationWrite: true } as QueryOptions & ConfigurationWriteOptions;
  await sequelize.query(`UPDATE app_meta SET value = :token WHERE ${sequelize.getQueryInterface().quoteIdentifier('key')} = :key`, options).catch(() => undefined);
}

/** Watches this instance's statements and sets a new token after each committed configuration write. */
export function trackConfigurationWrites(sequelize: Sequelize): void {
  const bumpAfterCommit = new WeakSet<Transaction>();
  sequelize.addHook('afterQuery', async (options, query) => {
    const marked = options as QueryOptions & ConfigurationWriteOptions;
    if (marked.configGenerationWrite || marked.keepsConfiguration) return;
    const { sql } = query as unknown as { sql?: unknown };
    if (typeof sql !== 'string') return;
    const table = writtenTable(sql);
    if (!table || !CONFIGURATION_TABLES.has(table)) return;
    const transaction = options.transaction;
    if (!transaction) {
      // Before the statement's caller goes on: a create it starts next must see the change.
      await setToken(sequelize);
      return;
    }
    if (bumpAfterCommit.has(transaction)) return;
    bumpAfterCommit.add(transaction);
    // Sequelize runs these after a failed commit too: a needless new token costs one re-read.
    transaction.afterCommit(() => setToken(sequelize));
  });
}

/**
 * The current token, or undefined when there is none yet; the first reader sets one. (Writes
 * before that set none, and the reader that sets it reads the configuration after it.)
 */
export async function configurationToken(sequelize: Sequelize): Promise<string | undefined> {
  const read = async () => {
    const [rows] = (await sequelize.query(`SELECT value FROM app_meta WHERE ${sequelize.getQueryInterface().quoteIdentifier('key')} = :key`, {
      replacements: { key: CONFIG_GENERATION_KEY },
    })) as [Array<{ value: string | null }>, unknown];
    return rows[0]?.value ?? undefined;
  };
  const token = await read();
  if (token) return token;
  const dialectInsert = sequelize.getDialect() === 'sqlite' ? 'INSERT OR IGNORE INTO' : 'INSERT IGNORE INTO';
  const options = { replacements: { key: CONFIG_GENERATION_KEY, token: crypto.randomUUID() }, configGenerationWrite: true } as QueryOptions & ConfigurationWriteOptions;
  await sequelize.query(`${dialectInsert} app_meta (${sequelize.getQueryInterface().quoteIdentifier('key')}, value) VALUES (:key, :token)`, options);
  return read();
}
