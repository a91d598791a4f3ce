import type { Logger } from 'pino';

/**
 * Sends the emails of notifications a ticket's projection has just recorded, beside the ticket
 * rather than in its workflow task: the projection answers as soon as the rows are written, and
 * Postmark is never on the ticket's critical path. What the relay has not sent when its process
 * dies stays in the outbox as pending, where the sweep (workflows/email-outbox-sweep.ts) finds
 * it; the outbox's claims keep every email to one send whoever sends it.
 */
export interface EmailRelay {
  /** Runs `send` beside the caller; a failure is logged, never thrown (the sweep is behind it). */
  hand(notificationIds: string[], send: () => Promise<void>): void;
  /** Resolves once every send handed so far has ended (a worker waits for it before it closes the database). */
  idle(): Promise<void>;
}

export function createEmailRelay(logger: Logger): EmailRelay {
  const running = new Set<Promise<void>>();
  return {
    hand(notificationIds, send) {
      const sending: Promise<void> = send()
        .catch((err: unknown) => logger.warn({ err, notifications: notificationIds }, 'emails not sent by the relay; the outbox sweep sends them'))
        .finally(() => running.delete(sending));
      running.add(sending);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
