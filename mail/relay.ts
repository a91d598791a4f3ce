import type { Logger } from 'pino';

/**
 * Sends the emails of notifications a ticket's projection has just recorded, beside the ticket
 * rather than in its workflow task: the projection answers as soon as the rows are written, and
 * Postmark is never on the ticket's critical path. What the relay has not sent when its process
 * dies (or what it could neither send nor hand to a delivery workflow) stays in the outbox as
 * pending, where the sweep (workflows/email-outbox-sweep.ts) finds it; the outbox's claims keep
 * every email to one send whoever sends it.
 */
export interface EmailRelay {
  /** Runs `send` beside the caller, a few at a time; a failure is logged, never thrown (the sweep is behind it). */
  hand(notificationIds: string[], send: () => Promise<void>): void;
  /** Resolves once every send handed so far has ended (a worker waits for it before it closes the database). */
  idle(): Promise<void>;
}

/**
 * How many handed sends run at once. A burst of creates would otherwise be as many claim
 * transactions and Postmark calls at once, queued ahead of other tickets' projections on
 * SQLite and competing for the pool's connections on MariaDB (notifyAll had the worker's
 * activity slots as its bound).
 */
export const RELAY_SENDS_AT_ONCE = 4;

export function createEmailRelay(logger: Logger, sendsAtOnce = RELAY_SENDS_AT_ONCE): EmailRelay {
  if (!Number.isInteger(sendsAtOnce) || sendsAtOnce < 1) throw new RangeError(`sendsAtOnce must be a whole number of at least 1, not ${sendsAtOnce}`);
  const waiting: Array<{ notificationIds: string[]; send: () => Promise<void> }> = [];
  const running = new Set<Promise<void>>();
  const next = () => {
    while (running.size < sendsAtOnce && waiting.length > 0) {
      const { notificationIds, send } = waiting.shift()!;
      const sending: Promise<void> = send()
        .catch((err: unknown) => logger.warn({ err, notifications: notificationIds }, 'emails not sent by the relay; the outbox sweep sends them'))
        .finally(() => {
          running.delete(sending);
          next();
        });
      running.add(sending);
    }
  };
  return {
    hand(notificationIds, send) {
      waiting.push({ notificationIds, send });
      next();
    },
    async idle() {
      while (running.size > 0 || waiting.length > 0) await Promise.allSettled([...running]);
    },
  };
}
