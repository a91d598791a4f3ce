import type { Request, Response } from 'express';

/** What a test can make the local Postmark sink do wrong. */
export interface SinkFaultControls {
  /**
   * Fault injection: the next `count` sends answer `status` (e.g. 500) as an outage would, a
   * batch as a whole; with `notificationId`, only sends (batches) with an email of that
   * notification count (other deliveries running beside a test go through untouched).
   */
  failNextSends(count: number, status?: number, notificationId?: string): void;
  /**
   * Fault injection: the next `count` templated sends (single or batch) are accepted (they reach
   * the mailbox) and the connection is then cut without an answer, as a timeout or a dropped connection after
   * Postmark took the email would leave the sender not knowing.
   */
  dropAnswersAfterAccepting(count: number): void;
  /** Fault injection: the next `count` templated sends (single or batch) are accepted at once and answered `delayMs` later, as a slow Postmark would. */
  answerSlowly(count: number, delayMs: number): void;
  /** Fault injection: every send answers `status` until `durationMs` from now, as a Postmark outage would. */
  failSendsFor(durationMs: number, status?: number): void;
  /** How many sends the fault injection refused so far. */
  refusedSends(): number;
}

/** The sink's fault injection: the controls tests use, and what the sink's send endpoints ask of it. */
export function createSinkFaults() {
  let failures: { count: number; status: number; notificationId?: string } = { count: 0, status: 500 };
  let answersToDrop = 0;
  let slowAnswers = { count: 0, delayMs: 0 };
  let outage: { until: number; status: number } = { until: 0, status: 500 };
  let refused = 0;

  const notificationOf = (message: unknown) => {
    const metadata = (message as { Metadata?: unknown } | null)?.Metadata;
    return metadata && typeof metadata === 'object' ? (metadata as Record<string, unknown>).notification : undefined;
  };

  const controls: SinkFaultControls = {
    failNextSends(count, status = 500, notificationId) {
      failures = { count, status, notificationId };
    },
    dropAnswersAfterAccepting(count) {
      answersToDrop = count;
    },
    answerSlowly(count, delayMs) {
      slowAnswers = { count, delayMs };
    },
    failSendsFor(durationMs, status = 500) {
      outage = { until: Date.now() + durationMs, status };
    },
    refusedSends: () => refused,
  };

  return {
    controls,
    /**
     * The HTTP status of the simulated outage a send request meets, if any: it refuses the
     * request as a whole, as Postmark's would (a batch with any targeted message is refused
     * entire, and nothing of it is accepted).
     */
    outageStatus(messages: unknown[]): number | undefined {
      const targeted = failures.count > 0 && messages.some((m) => failures.notificationId === undefined || notificationOf(m) === failures.notificationId);
      if (!targeted && Date.now() >= outage.until) return undefined;
      refused += 1;
      if (!targeted) return outage.status;
      failures = { ...failures, count: failures.count - 1 };
      return failures.status;
    },
    /** A templated send's answer, as the fault injection has it arrive: cut off, late, or at once. */
    answerTemplated(req: Request, res: Response, answer: unknown): void {
      if (answersToDrop > 0) {
        answersToDrop -= 1;
        req.socket.destroy();
        return;
      }
      if (slowAnswers.count > 0) {
        slowAnswers = { ...slowAnswers, count: slowAnswers.count - 1 };
        setTimeout(() => res.json(answer), slowAnswers.delayMs);
        return;
      }
      res.json(answer);
    },
  };
}
