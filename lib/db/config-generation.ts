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
  'categories',
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

/** `key` is a reserved word in MySQL: quoted as the dialect quotes it. */
const keyColumn = (sequelize: Sequelize) => sequelize.getQueryInterface().quoteIdentifier('key');

/** Configuration writes each instance has committed: an in-process part of its token, so this process's caches never depend on the token row being written. */
const committedHere = new WeakMap<Sequelize, number>();

/**
 * Sets a new token, trying three times. A failure is not the write's failure (the write is in):
 * this process's own caches see the write anyway (`committedHere`); another process's keep what
 * they hold for at most their age limit, and the failure is reported as a process warning.
 */
async function setToken(sequelize: Sequelize): Promise<void> {
  committedHere.set(sequelize, (committedHere.get(sequelize) ?? 0) + 1);
  const options = { replacements: { key: CONFIG_GENERATION_KEY, token: crypto.randomUUID() }, configGenerationWrite: true } as QueryOptions & ConfigurationWriteOptions;
  for (let attempt = 1; ; attempt++) {
    try {
      await sequelize.query(`UPDATE app_meta SET value = :token WHERE ${keyColumn(sequelize)} = :key`, options);
      return;
    } catch (err) {
      if (attempt === 3) {
        process.emitWarning(`configuration generation not written after a configuration change: ${(err as Error).message}`, 'ConfigurationGenerationWarning');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** A transaction's outermost ancestor: a savepoint's writes are committed only with it. */
function outermost(transaction: Transaction): Transaction {
  let root = transaction as Transaction & { parent?: Transaction };
  while (root.parent) root = root.parent as Transaction & { parent?: Transaction };
  return root;
}

/**
 * Watches this instance's statements and sets a new token after each committed configuration
 * write. It wraps `query` rather than using Sequelize's afterQuery hook, which runs inside the
 * retry loop (after failed attempts too) and before the statement's connection is released:
 * on MySQL ten writes at once would each hold a pooled connection while waiting for another.
 * Here the token is set after the statement succeeded and gave its connection back, and before
 * its caller goes on (a create it starts next must see the change); in a transaction, after the
 * outermost transaction commits.
 */
export function trackConfigurationWrites(sequelize: Sequelize): void {
  const query = sequelize.query.bind(sequelize) as (sql: unknown, options?: QueryOptions & ConfigurationWriteOptions) => Promise<unknown>;
  const tokenAfterCommit = new WeakSet<Transaction>();
  (sequelize as unknown as { query: typeof query }).query = async (sql, options) => {
    const result = await query(sql, options);
    if (options?.configGenerationWrite || options?.keepsConfiguration) return result;
    const text = typeof sql === 'string' ? sql : (sql as { query?: unknown } | null)?.query;
    const table = typeof text === 'string' ? writtenTable(text) : undefined;
    if (!table || !CONFIGURATION_TABLES.has(table)) return result;
    if (!options?.transaction) {
      await setToken(sequelize);
      return result;
    }
    const root = outermost(options.transaction);
    if (!tokenAfterCommit.has(root)) {
      tokenAfterCommit.add(root);
      // Sequelize runs these after a failed commit too: a needless new token costs one re-read.
      root.afterCommit(() => setToken(sequelize));
    }
    return result;
  };
}

/**
 * The current token, or undefined when there is none yet; the first reader sets one. (Writes
 * before that set none, and the reader that sets it reads the configuration after it.) It is
 * the shared row's value followed by this instance's count of committed configuration writes.
 */
export async function configurationToken(sequelize: Sequelize): Promise<string | undefined> {
  const read = async () => {
    const [rows] = (await sequelize.query(`SELECT value FROM app_meta WHERE ${keyColumn(sequelize)} = :key`, {
      replacements: { key: CONFIG_GENERATION_KEY },
    })) as [Array<{ value: string | null }>, unknown];
    return rows[0]?.value ?? undefined;
  };
  const here = () => `/${committedHere.get(sequelize) ?? 0}`;
  const token = await read();
  if (token) return token + here();
  const dialectInsert = sequelize.getDialect() === 'sqlite' ? 'INSERT OR IGNORE INTO' : 'INSERT IGNORE INTO';
  const options = { replacements: { key: CONFIG_GENERATION_KEY, token: crypto.randomUUID() }, configGenerationWrite: true } as QueryOptions & ConfigurationWriteOptions;
  await sequelize.query(`${dialectInsert} app_meta (${keyColumn(sequelize)}, value) VALUES (:key, :token)`, options);
  const inserted = await read();
  return inserted === undefined ? undefined : inserted + here();
}
