import { Op, QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from 'pino';
import type { Models } from '../lib/db/models';
import type { UserProfile } from '../lib/db/organisation';
import { seesInternal } from './access';
import type { TicketReads } from './ticket-reads';

/** One row of the live feed: a timeline event the projection committed. */
export interface FeedRow {
  id: number;
  ticketNumber: number;
  seq: number;
  visibility: string;
}

/** Someone listening: told about the rows they may see, in id order, each once. */
export interface Listener {
  user: UserProfile;
  /** The last feed id this listener has been considered for. */
  cursor: number;
  send(row: FeedRow): void;
  notify(notificationId: string, ticketNumber: number | null): void;
  /** Ends the stream (the process is stopping). */
  end(): void;
}

const POLL_MS = 1000;
const RING = 2000;
/** An id missing between committed ones is a transaction still open (or rolled back): waited for this long, then passed. */
const GAP_WAIT_MS = 5000;

/**
 * Reads the live feed the projection fills (one indexed query a second per API process,
 * however many are listening) and hands each listener the rows it may see. It never asks
 * a workflow anything. The last rows stay in memory so a reconnecting page catches up
 * from its Last-Event-ID without a query; older cursors are read from the table.
 */
export function createLiveFeed({ sequelize, models, reads, logger }: { sequelize: Sequelize; models: Models; reads: TicketReads; logger: Logger }) {
  const listeners = new Set<Listener>();
  let ring: FeedRow[] = [];
  let last = 0;
  let gapSince: number | null = null;
  let notificationsSince = new Date();
  let seenNotifications = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let ready: Promise<void> | undefined;
  let polling = false;

  async function rowsAfter(id: number, limit: number): Promise<FeedRow[]> {
    const rows = await sequelize.query<{ id: number; ticket_number: number; seq: number; visibility: string }>(
      'SELECT id, ticket_number, seq, visibility FROM live_feed WHERE id > :id ORDER BY id LIMIT :limit',
      { replacements: { id, limit }, type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({ id: Number(r.id), ticketNumber: Number(r.ticket_number), seq: Number(r.seq), visibility: r.visibility }));
  }

  /** Whether this person may hear of this row: they see the ticket, and internal rows only as its staff. */
  async function maySee(user: UserProfile, row: FeedRow, cache: Map<string, boolean>): Promise<boolean> {
    const key = `${user.id}:${row.ticketNumber}:${row.visibility}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    let allowed = false;
    const ticket = await reads.visibleRow(row.ticketNumber, user);
    if (ticket && row.visibility !== 'internal') allowed = true;
    else if (ticket) {
      const shares = await models.TicketShare.findAll({ where: { ticket_number: row.ticketNumber }, attributes: ['team_id'] });
      allowed = seesInternal(user, { teamId: (ticket.get('team_id') as number | null) ?? null, sharedTeamIds: shares.map((s) => s.get('team_id') as number) });
    }
    cache.set(key, allowed);
    return allowed;
  }

  async function deliver(listener: Listener, rows: FeedRow[], cache: Map<string, boolean>): Promise<void> {
    for (const row of rows) {
      if (row.id <= listener.cursor) continue;
      if (await maySee(listener.user, row, cache)) listener.send(row);
      listener.cursor = row.id;
    }
  }

  /** Takes new rows up to the first gap; a gap older than GAP_WAIT_MS is given up on. */
  function contiguous(rows: FeedRow[], now: number): FeedRow[] {
    const taken: FeedRow[] = [];
    let expected = last + 1;
    for (const row of rows) {
      if (row.id !== expected) {
        gapSince ??= now;
        if (now - gapSince < GAP_WAIT_MS) break;
      }
      gapSince = null;
      taken.push(row);
      expected = row.id + 1;
    }
    return taken;
  }

  async function pollNotifications(): Promise<void> {
    // A little overlap so a row committed with an earlier timestamp is not skipped; ids seen are not sent twice.
    const since = new Date(notificationsSince.getTime() - 5000);
    const rows = await models.Notification.findAll({ where: { created_at: { [Op.gt]: since } }, attributes: ['id', 'user_id', 'ticket_number', 'created_at'] });
    const fresh = new Set<string>();
    for (const n of rows) {
      const id = n.get('id') as string;
      fresh.add(id);
      if (seenNotifications.has(id)) continue;
      for (const listener of listeners) if (listener.user.id === n.get('user_id')) listener.notify(id, (n.get('ticket_number') as number | null) ?? null);
      const at = new Date(n.get('created_at') as string);
      if (at > notificationsSince) notificationsSince = at;
    }
    seenNotifications = fresh;
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      const rows = contiguous(await rowsAfter(last, 500), Date.now());
      if (rows.length > 0) {
        last = rows[rows.length - 1]!.id;
        ring = [...ring, ...rows].slice(-RING);
        const cache = new Map<string, boolean>();
        for (const listener of listeners) await deliver(listener, rows, cache);
      }
      await pollNotifications();
    } catch (err) {
      logger.warn({ err }, 'live feed poll failed; trying again');
    } finally {
      polling = false;
    }
  }

  function start(): Promise<void> {
    ready ??= (async () => {
      const [row] = await sequelize.query<{ last: number | null }>('SELECT MAX(id) AS last FROM live_feed', { type: QueryTypes.SELECT });
      last = Number(row?.last ?? 0);
      notificationsSince = new Date();
      timer = setInterval(() => void poll(), POLL_MS);
      timer.unref();
    })();
    return ready;
  }

  return {
    /**
     * Adds a listener. With a Last-Event-ID (`after`), everything since it that the person
     * may see is sent first, from memory or the table; without, it starts from now.
     */
    async subscribe(listener: Omit<Listener, 'cursor'>, after: number | null): Promise<() => void> {
      await start();
      const entry: Listener = { ...listener, cursor: after ?? last };
      const cache = new Map<string, boolean>();
      // Catch up to where the hub stands, then join it; rows the hub reads meanwhile pass the cursor check once.
      while (entry.cursor < last) {
        const fromRing = ring.length > 0 && ring[0]!.id <= entry.cursor + 1 ? ring.filter((r) => r.id > entry.cursor && r.id <= last) : null;
        const rows = fromRing ?? (await rowsAfter(entry.cursor, 500)).filter((r) => r.id <= last);
        if (rows.length === 0) break;
        await deliver(entry, rows, cache);
      }
      // Left early only when nothing in between was committed: there is nothing to send from that stretch.
      if (entry.cursor < last) entry.cursor = last;
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    listening: () => listeners.size,
    stop(): void {
      clearInterval(timer);
      for (const listener of listeners) listener.end();
      listeners.clear();
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
