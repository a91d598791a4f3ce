import fs from 'node:fs/promises';
import type { Sequelize } from 'sequelize';
import { createMigrator } from '../db/migrate';

/**
 * Readiness: may this process take work? Liveness (/healthz) only says the event loop
 * answers; readiness says the things every request needs are there: Temporal, the
 * database, and a schema that is not behind the code (a replica started before the
 * migration job finished must not serve).
 */
export interface ReadinessCheck {
  name: 'temporal' | 'database' | 'migrations' | 'shutdown';
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  check(): Promise<{ ready: boolean; checks: ReadinessCheck[] }>;
  /** Called when shutdown starts: the load balancer should stop sending before the process stops answering. */
  markStopping(): void;
}

const PROBE_TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function probe(name: ReadinessCheck['name'], fn: () => Promise<string | undefined>): Promise<ReadinessCheck> {
  try {
    return { name, ok: true, detail: await withTimeout(fn(), name) };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

export function createReadiness(deps: {
  sequelize: Sequelize;
  /** Resolves when the Temporal frontend answers (the client's or the worker's connection). */
  pingTemporal: () => Promise<unknown>;
}): Readiness {
  let stopping = false;

  async function database(): Promise<string | undefined> {
    const { sequelize } = deps;
    if (sequelize.getDialect() === 'sqlite') {
      // An open SQLite handle keeps answering after its file vanished (a lost volume); check the file itself.
      const storage = (sequelize as unknown as { options: { storage?: string } }).options.storage;
      if (storage && storage !== ':memory:') await fs.access(storage, fs.constants.R_OK | fs.constants.W_OK);
    }
    await sequelize.query('SELECT 1');
    return sequelize.getDialect();
  }

  async function migrations(): Promise<string | undefined> {
    const pending = await createMigrator(deps.sequelize).pending();
    if (pending.length) throw new Error(`pending migrations: ${pending.map((m) => m.name).join(', ')}`);
    return 'current';
  }

  return {
    markStopping() {
      stopping = true;
    },
    async check() {
      const checks = await Promise.all([
        probe('temporal', async () => {
          await deps.pingTemporal();
          return undefined;
        }),
        probe('database', database),
        probe('migrations', migrations),
      ]);
      if (stopping) checks.push({ name: 'shutdown', ok: false, detail: 'shutting down' });
      return { ready: checks.every((c) => c.ok), checks };
    },
  };
}
