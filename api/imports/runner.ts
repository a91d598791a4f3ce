import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { Op } from 'sequelize';
import { withDeadlockRetry, writeTransactionOptions } from '../../lib/db/deadlock';
import type { Models } from '../../lib/db/models';
import type { CategoryView, Organisation, UserProfile } from '../../lib/db/organisation';
import { toApiError, type FieldError } from '../errors';
import type { TicketService } from '../ticket-service';
import { ingestCsv } from './ingest';
import { checkRow, importKey, type Cells } from './rows';

const LEASE_MS = 60_000;
const PAGE = 200;

/** Thrown when this process finds its lease on an import taken over: it stops and changes nothing more. */
class LeaseLost extends Error {}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export interface ImportRunnerDeps {
  models: Models;
  organisation: Organisation;
  service: TicketService;
  logger: Logger;
  concurrency: number;
}

/**
 * Works through an import's pending rows in the background, `concurrency` rows at a time,
 * so a 10,000-row file never floods Temporal or the database and the API keeps answering.
 * A process holds an import through a lease it renews while working; when the process
 * dies, the lease runs out and the next sweep (at start, then every minute, in any API
 * replica) picks the import up where it stopped. Rows are idempotent on their external id,
 * so a row that was in flight at the crash is not created twice.
 */
export function createImportRunner({ models, organisation, service, logger, concurrency }: ImportRunnerDeps) {
  const owner = `${process.pid}:${crypto.randomUUID()}`;
  const running = new Map<string, Promise<void>>();
  // One budget for the whole process: five imports at once still start only `concurrency` tickets at a time.
  const slots = semaphore(concurrency);
  /** Set on shutdown: rows in flight finish, no new row starts, and the lease is handed back. */
  let stopping = false;

  async function claim(importId: string): Promise<boolean> {
    const now = new Date();
    const [claimed] = await models.Import.update(
      { lease_owner: owner, lease_until: new Date(now.getTime() + LEASE_MS), status: 'running' },
      {
        where: {
          id: importId,
          status: { [Op.in]: ['queued', 'running'] },
          [Op.or]: [{ lease_owner: owner }, { lease_until: null }, { lease_until: { [Op.lt]: now } }],
        },
      },
    );
    if (claimed > 0) await models.Import.update({ started_at: now }, { where: { id: importId, started_at: null } });
    return claimed > 0;
  }

  const sequelize = models.Import.sequelize!;

  /**
   * A row's outcome and the import's counter, in one transaction and only while this process
   * holds the lease and the row is still pending: a runner that lost its lease (a sweep
   * elsewhere took the import over) changes nothing, and no row is ever counted twice. Locks
   * are taken in one order, the import row (by key) then the import row's line (by key).
   */
  async function recordOutcome(importId: string, rowNumber: number, outcome: 'created' | 'existing' | 'error', ticketNumber: number | null, errors: FieldError[] | null): Promise<void> {
    await withDeadlockRetry(
      () =>
        sequelize.transaction(writeTransactionOptions(sequelize), async (transaction) => {
          // The import's row, locked by its key: whoever takes the lease over waits for this
          // transaction, and this one sees the owner as it is. (Not an UPDATE's row count:
          // MySQL counts changed rows, and a renewal within the same second changes none.)
          const lease = await models.Import.findByPk(importId, { attributes: ['lease_owner'], lock: transaction.LOCK.UPDATE, transaction });
          if (lease?.get('lease_owner') !== owner) throw new LeaseLost(`lost the lease on import ${importId}`);
          const [changed] = await models.ImportRow.update(
            { outcome, ticket_number: ticketNumber, errors, data: null },
            { where: { import_id: importId, row_number: rowNumber, outcome: 'pending' }, transaction },
          );
          if (changed === 0) return;
          const counter = outcome === 'created' ? 'created_count' : outcome === 'existing' ? 'existing_count' : 'failed_count';
          await models.Import.increment(counter, { where: { id: importId }, transaction });
        }),
      { logger, what: 'import row outcome', context: { importId, row: rowNumber } },
    );
  }

  async function processRow(row: { row_number: number; data: Cells }, importId: string, catalog: CategoryView[], people: Map<string, Promise<UserProfile | undefined>>) {
    const record = (outcome: 'created' | 'existing' | 'error', ticketNumber: number | null, errors: FieldError[] | null) => recordOutcome(importId, row.row_number, outcome, ticketNumber, errors);
    const checked = checkRow(row.data, catalog);
    if (!checked.ok) return record('error', null, checked.errors);
    if (!people.has(checked.email)) people.set(checked.email, organisation.userByEmail(checked.email));
    const requester = await people.get(checked.email);
    if (!requester) return record('error', null, [{ field: 'requester_email', message: 'is not an active person in the directory' }]);
    // A re-import finds its tickets without a round trip to Temporal. Only the same
    // requester's: the create key is theirs, and another requester's ticket is not ours to name.
    const earlier = await models.ImportRow.findAll({ where: { external_id: checked.externalId, ticket_number: { [Op.ne]: null } }, attributes: ['ticket_number'] });
    if (earlier.length > 0) {
      const mine = await models.Ticket.findOne({ where: { number: earlier.map((r) => r.get('ticket_number') as number), requester_id: requester.id }, attributes: ['number'] });
      if (mine) return record('existing', mine.get('number') as number, null);
    }
    try {
      const { number, replayed } = await service.open(requester, checked.body, importKey(checked.externalId, sha256), 'import');
      return record(replayed ? 'existing' : 'created', number, null);
    } catch (err) {
      const known = toApiError(err);
      if (!known || known.status >= 500) throw err;
      const errors = known.details.length > 0 ? known.details.map((d) => ({ field: d.field === 'categoryId' ? 'category' : d.field, message: d.message })) : [{ field: '(row)', message: known.message }];
      return record('error', null, errors);
    }
  }

  async function work(importId: string): Promise<void> {
    if (!(await claim(importId))) return;
    /** Set once another process is seen holding the lease: no further row starts here. */
    let lost = false;
    const heartbeat = setInterval(() => {
      models.Import.update({ lease_until: new Date(Date.now() + LEASE_MS) }, { where: { id: importId, lease_owner: owner } })
        .then(async ([renewed]) => {
          if (renewed > 0) return;
          const lease = await models.Import.findByPk(importId, { attributes: ['lease_owner'] });
          if (lease?.get('lease_owner') !== owner) lost = true;
        })
        .catch((err: unknown) => logger.warn({ err, importId }, 'import lease renewal failed'));
    }, LEASE_MS / 4);
    heartbeat.unref();
    try {
      const catalog = await organisation.categories();
      const people = new Map<string, Promise<UserProfile | undefined>>();
      while (!stopping) {
        if (lost) throw new LeaseLost(`lost the lease on import ${importId}`);
        const page = await models.ImportRow.findAll({ where: { import_id: importId, outcome: 'pending' }, order: [['row_number', 'ASC']], limit: PAGE });
        if (page.length === 0) break;
        const queue = page.map((r) => ({ row_number: r.get('row_number') as number, data: r.get('data') as Cells }));
        // A pool per import, drawing on the process-wide slots: at most `concurrency` rows talk to Temporal at once.
        await Promise.all(
          Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
            for (let row = stopping || lost ? undefined : queue.shift(); row; row = stopping || lost ? undefined : queue.shift()) {
              try {
                await slots.run(() => processRow(row!, importId, catalog, people));
              } catch (err) {
                if (err instanceof LeaseLost) {
                  lost = true;
                  throw err;
                }
                // An unexpected failure (Temporal or the database away) is this row's error, not the import's.
                logger.error({ err, importId, row: row.row_number }, 'import row failed');
                await recordOutcome(importId, row.row_number, 'error', null, [{ field: '(row)', message: 'could not be created (server error); import it again' }]);
              }
            }
          }),
        );
      }
      if (stopping) {
        // Pending rows stay pending; with the lease released, the next sweep anywhere resumes them.
        await models.Import.update({ lease_owner: null, lease_until: null }, { where: { id: importId, lease_owner: owner } });
        logger.info({ importId }, 'import paused for shutdown');
        return;
      }
      await models.Import.update({ status: 'completed', finished_at: new Date(), lease_owner: null, lease_until: null }, { where: { id: importId, lease_owner: owner } });
      logger.info({ importId }, 'import completed');
    } catch (err) {
      if (err instanceof LeaseLost) {
        // Another process holds the import now and finishes it; rows this one had in flight stay pending for it.
        logger.warn({ importId, event: 'import.lease_lost' }, 'import lease taken over by another process; stopping');
        return;
      }
      logger.error({ err, importId }, 'import failed');
      await models.Import.update(
        { status: 'failed', failure: 'The import stopped on a server error; rows already processed keep their outcome', finished_at: new Date(), lease_owner: null, lease_until: null },
        { where: { id: importId, lease_owner: owner } },
      ).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
    }
  }

  function start(importId: string): Promise<void> {
    const existing = running.get(importId);
    if (existing) return existing;
    const job = work(importId)
      .catch((err: unknown) => logger.error({ err, importId }, 'import could not be claimed'))
      .finally(() => running.delete(importId));
    running.set(importId, job);
    return job;
  }

  return {
    start,
    /** Takes in the upload under a lease (so a sweep can tell a live upload from a dead one), then queues it. */
    async receive(importId: string, upload: Readable): Promise<{ rows: number }> {
      const renew = () => models.Import.update({ lease_owner: owner, lease_until: new Date(Date.now() + LEASE_MS) }, { where: { id: importId } });
      await renew();
      const heartbeat = setInterval(() => void renew().catch(() => undefined), LEASE_MS / 4);
      heartbeat.unref();
      try {
        const { rows } = await ingestCsv(models, importId, upload);
        // Rows refused while reading (ragged, repeated external id) count as failed from the start.
        const refused = await models.ImportRow.count({ where: { import_id: importId, outcome: 'error' } });
        await models.Import.update({ status: 'queued', total_rows: rows, failed_count: refused, lease_owner: null, lease_until: null }, { where: { id: importId } });
        return { rows };
      } catch (err) {
        // Refused whole: nothing of it is kept.
        await models.ImportRow.destroy({ where: { import_id: importId } });
        await models.Import.destroy({ where: { id: importId } });
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    },
    /** Picks up imports whose process went away (no live lease); uploads cut off mid-way are marked failed. */
    async sweep(): Promise<string[]> {
      const now = new Date();
      const stale = { [Op.or]: [{ lease_until: null }, { lease_until: { [Op.lt]: now } }] };
      await models.Import.update(
        { status: 'failed', failure: 'The upload was interrupted before the file was complete; upload it again', finished_at: now },
        { where: { status: 'receiving', ...stale } },
      );
      const orphans = await models.Import.findAll({ where: { status: { [Op.in]: ['queued', 'running'] }, ...stale }, attributes: ['id'] });
      const ids = orphans.map((o) => o.get('id') as string).filter((id) => !running.has(id));
      ids.forEach((id) => void start(id));
      return ids;
    },
    /** Waits for the imports this process is working on (tests and graceful shutdown). */
    async idle(): Promise<void> {
      await Promise.all([...running.values()]);
    },
    /** Graceful shutdown: lets rows in flight finish, starts no more, hands the rest to the next sweep. */
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all([...running.values()]);
    },
  };
}

export type ImportRunner = ReturnType<typeof createImportRunner>;

/** At most `size` tasks at a time; the rest wait their turn in order. */
function semaphore(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else free += 1;
      }
    },
  };
}
