import { ApplicationFailure } from '@temporalio/common';
import { literal, Op, type Model } from 'sequelize';
import type { Logger } from 'pino';
import { withDeadlockRetry, writeTransactionOptions } from '../lib/db/deadlock';
import type { Models } from '../lib/db/models';
import type { NotifyInput } from '../workflows/definitions';
import { createSender, isPermanent, sentEarlier, type MailDeps, type OutgoingEmail, type SendOutcome } from './sender';

/** Longer than one send can take (the client's timeout), so a live claim is never taken over. */
export const CLAIM_LAPSES_MS = 2 * 60_000;
/** How long after an unanswered send its email is looked for at Postmark (its search may take a moment to see a new message). */
export const UNANSWERED_RECHECK_MS = 30_000;

/** Whether Postmark answered the request at all (an HTTP status), rather than timing out or dropping the connection. */
function answered(err: unknown): boolean {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status > 0;
}

/**
 * How many emails one sender claims and has at Postmark at once: a created ticket's notices
 * (receipt, team, assignee) go out together, and a sweep of hundreds goes a few at a time.
 */
const SENDS_AT_ONCE = 5;

/** How much of a notification's title its in-portal row keeps (its column's length). */
export const NOTIFICATION_TITLE_LENGTH = 300;

/** An email as `record` wrote it: everything a send needs but the ticket's title. */
export type RecordedEmail = Omit<OutgoingEmail, 'ticketTitle'>;

/** Statuses of an email not yet sent or refused for good. */
export const UNSENT = ['pending', 'sending'];

export interface DeliveryCounts {
  sent: number;
  failed: number;
  /** Still to send: Postmark failed transiently, the ticket is not projected yet, or another attempt holds the claim. */
  pending: number;
}

/**
 * The email outbox: one row per notification and person, recorded when a ticket's change is
 * projected (`projectAndNotify`, or `notify`/`notifyAll`), sent at once by the worker's relay
 * or `notifyAll`, and otherwise by the delivery workflow and the sweep. Exactly-once rests on
 * the row: a sender claims it (`pending` → `sending`) before calling Postmark and marks
 * it `sent` or `failed` after, so two senders never both send; a claim left by a sender
 * that died mid-send lapses after CLAIM_LAPSES_MS and is taken over.
 */
export function createOutbox({ models, logger, mail }: { models: Models; logger: Logger; mail: MailDeps }) {
  const send = createSender({ models, mail });
  const sequelize = models.EmailOutbox.sequelize!;

  /**
   * Records a pending email for each active person with an address, for several notifications
   * at once (a change's receipt, team and assignee notices: one read, one insert), and returns
   * them built, all but the ticket's title: a caller that knows the title (the projection that
   * has just written it) sends them without reading the notification, the name or the title
   * back. The claim then reads each row's address, which a retried record left as it was.
   */
  async function record(batch: Array<{ input: NotifyInput; userIds: number[] }>): Promise<RecordedEmail[]> {
    const addressed = batch.filter((b) => b.userIds.length > 0);
    if (addressed.length === 0) return [];
    const users = await models.User.findAll({ where: { id: [...new Set(addressed.flatMap((b) => b.userIds))], active: true }, attributes: ['id', 'email', 'name'] });
    const personOf = new Map(users.filter((u) => Boolean(u.get('email'))).map((u) => [u.get('id') as number, { id: u.get('id') as number, email: u.get('email') as string, name: String(u.get('name') ?? '') }]));
    const now = new Date();
    const emails: RecordedEmail[] = addressed.flatMap(({ input, userIds }) =>
      userIds
        .filter((userId) => personOf.has(userId))
        .map((userId) => ({
          key: `${input.id}:${userId}`,
          notificationId: input.id,
          ticketNumber: input.ticketNumber,
          // As the in-portal notification keeps them, which `deliver` rebuilds an email from.
          kind: input.kind,
          title: input.title.slice(0, NOTIFICATION_TITLE_LENGTH),
          body: input.body,
          recipient: personOf.get(userId)!,
        })),
    );
    // In key order, as a claim locks them, so a retried record and a claim do not lock the same
    // rows in opposite orders on MariaDB (a deadlock there is retried either way).
    emails.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rows = emails.map((email) => ({
      id: email.key,
      notification_id: email.notificationId,
      user_id: email.recipient.id,
      ticket_number: email.ticketNumber,
      kind: email.kind,
      to_address: email.recipient.email,
      status: 'pending',
      attempts: 0,
      created_at: now,
      updated_at: now,
    }));
    // ignoreDuplicates: a retried notify leaves a row as its sender left it (sent stays sent).
    if (rows.length > 0) await models.EmailOutbox.bulkCreate(rows, { ignoreDuplicates: true });
    return emails;
  }

  /** How many of each notification's emails are still unsent (a retried notify may find some sent). */
  async function unsentCounts(notificationIds: string[]): Promise<Map<string, number>> {
    if (notificationIds.length === 0) return new Map();
    const unsent = await models.EmailOutbox.count({ where: { notification_id: notificationIds, status: { [Op.in]: UNSENT } }, group: ['notification_id'] });
    return new Map(unsent.map((g) => [g.notification_id as string, Number(g.count)]));
  }

  /**
   * Takes, in one write transaction, the rows of these keys this sender may send: `fresh` ones
   * from pending, `lapsed` ones from a sender that claimed them and never said how its send
   * ended (it may have sent them). Each row is read under the transaction's lock first, so the
   * sender knows exactly which rows it took; one update then claims them all and counts an
   * attempt on each (`attempts` counts claims: a lapsed claim that only asks Postmark whether
   * the email went out counts as one), so a sender that dies after claiming has its attempt
   * counted too. Rows another sender holds come back as `held`; rows already sent or refused
   * for good do not come back. One lock for a batch instead of one per email: on SQLite a
   * statement outside a transaction shares the process's one connection with every other.
   */
  async function claimAll(keys: string[], now: Date): Promise<Map<string, { claim: 'fresh' | 'lapsed' | 'held'; toAddress: string }>> {
    const claims = new Map<string, { claim: 'fresh' | 'lapsed' | 'held'; toAddress: string }>();
    if (keys.length === 0) return claims;
    const lapsesBefore = now.getTime() - CLAIM_LAPSES_MS;
    await withDeadlockRetry(
      () =>
        sequelize.transaction(writeTransactionOptions(sequelize), async (transaction) => {
          claims.clear();
          const current = await models.EmailOutbox.findAll({ where: { id: keys, status: { [Op.in]: UNSENT } }, attributes: ['id', 'status', 'updated_at', 'to_address'], lock: transaction.LOCK.UPDATE, transaction });
          for (const row of current) {
            const key = row.get('id') as string;
            const toAddress = row.get('to_address') as string;
            if (row.get('status') === 'pending') claims.set(key, { claim: 'fresh', toAddress });
            else claims.set(key, { claim: new Date(row.get('updated_at') as Date).getTime() < lapsesBefore ? 'lapsed' : 'held', toAddress });
          }
          const taken = [...claims].filter(([, { claim }]) => claim !== 'held').map(([key]) => key);
          if (taken.length > 0) await models.EmailOutbox.update({ status: 'sending', attempts: literal('attempts + 1'), updated_at: now }, { where: { id: taken }, transaction });
        }),
      { logger, what: 'email claims', context: { emails: keys.length } },
    );
    return claims;
  }

  /** The rows Postmark took, marked sent in one statement; each keeps its own Message ID. */
  async function markSent(sent: Array<{ key: string; messageId: string }>): Promise<void> {
    if (sent.length === 0) return;
    const messageIds = literal(`CASE id ${sent.map(({ key, messageId }) => `WHEN ${sequelize.escape(key)} THEN ${sequelize.escape(messageId)}`).join(' ')} END`);
    const now = new Date();
    await models.EmailOutbox.update({ status: 'sent', message_id: messageIds, error: null, sent_at: now, updated_at: now }, { where: { id: sent.map((s) => s.key) } });
  }

  /**
   * Sends these rows, each at most once, rebuilt from data that exists: the in-portal
   * notification the row copies and the ticket's projected row (for its title). A ticket
   * not projected yet waits rather than going out with an empty title. Returns the counts and
   * the first transient failure, for the caller to retry or to leave for later. `beforeEach`
   * runs before each send (the delivery activity heartbeats there).
   */
  async function deliver(rows: Model[], beforeEach: () => void = () => {}): Promise<DeliveryCounts & { transient?: unknown }> {
    const result: DeliveryCounts & { transient?: unknown } = { sent: 0, failed: 0, pending: 0 };
    if (rows.length === 0) return result;
    const keys = rows.map((r) => r.get('id') as string);
    const [notifications, users, tickets] = await Promise.all([
      models.Notification.findAll({ where: { id: keys } }),
      models.User.findAll({ where: { id: [...new Set(rows.map((r) => r.get('user_id') as number))], active: true }, attributes: ['id', 'name'] }),
      models.Ticket.findAll({ where: { number: [...new Set(rows.map((r) => r.get('ticket_number') as number))] }, attributes: ['number', 'title'] }),
    ]);
    const notificationOf = new Map(notifications.map((n) => [n.get('id') as string, n]));
    const nameOf = new Map(users.map((u) => [u.get('id') as number, String(u.get('name') ?? '')]));
    const titleOf = new Map(tickets.map((t) => [t.get('number') as number, t.get('title') as string]));
    const sendable: OutgoingEmail[] = [];
    for (const row of rows) {
      const key = row.get('id') as string;
      const userId = row.get('user_id') as number;
      const ticketNumber = row.get('ticket_number') as number;
      const notification = notificationOf.get(key);
      const giveUp = !notification ? 'its in-portal notification is gone; cannot rebuild the email' : !nameOf.has(userId) ? 'the recipient is no longer active' : null;
      if (giveUp) {
        // Nothing to send from (or to): say so once rather than retrying forever.
        await models.EmailOutbox.update({ status: 'failed', error: giveUp, updated_at: new Date() }, { where: { id: key, status: { [Op.in]: UNSENT } } });
        result.failed += 1;
      } else if (!titleOf.has(ticketNumber)) {
        result.pending += 1;
        result.transient ??= ApplicationFailure.retryable(`ticket #${ticketNumber} is not in the read tables yet; its email waits for it`, 'TicketNotProjected');
      } else {
        sendable.push({
          key,
          notificationId: row.get('notification_id') as string,
          ticketNumber,
          ticketTitle: titleOf.get(ticketNumber)!,
          kind: notification!.get('kind') as string,
          title: notification!.get('title') as string,
          body: notification!.get('body') as string,
          recipient: { id: userId, name: nameOf.get(userId)!, email: row.get('to_address') as string },
        });
      }
    }
    return sendEach(sendable, beforeEach, result);
  }

  /**
   * Sends emails already built, each at most once: a few at a time, claimed together, sent in
   * one call to Postmark, and those Postmark took marked sent together. `deliver` builds them
   * from the rows; a projection that has just recorded them passes them straight here. An email
   * already sent or refused for good (a retried projection's) is not claimed, so not sent again.
   */
  async function sendEach(emails: OutgoingEmail[], beforeEach: () => void = () => {}, result: DeliveryCounts & { transient?: unknown } = { sent: 0, failed: 0, pending: 0 }): Promise<DeliveryCounts & { transient?: unknown }> {
    // Claimed a chunk at a time, right before its sends: a claim must not age towards its lapse
    // while its email waits behind others (a sweep may hold hundreds), or another sender could
    // take it over and send it too.
    // One send per key, whoever built the list.
    const unique = [...new Map(emails.map((email) => [email.key, email])).values()];
    for (let i = 0; i < unique.length; i += SENDS_AT_ONCE) {
      const chunk = unique.slice(i, i + SENDS_AT_ONCE);
      const claims = await claimAll(chunk.map((email) => email.key), new Date());
      const sent: Array<{ key: string; messageId: string }> = [];
      const fresh: OutgoingEmail[] = [];
      const lapsed: OutgoingEmail[] = [];
      for (const email of chunk) {
        const { claim, toAddress } = claims.get(email.key) ?? {};
        // To the address the row was recorded with (a retried record keeps an older row as it was).
        const claimed = { ...email, recipient: { ...email.recipient, email: toAddress! } };
        if (claim === 'fresh') fresh.push(claimed);
        else if (claim === 'lapsed') lapsed.push(claimed);
        else if (claim === 'held') {
          result.pending += 1;
          result.transient ??= ApplicationFailure.retryable(`email ${email.key} is being sent by another attempt`, 'ClaimedElsewhere');
        }
        // No claim at all: already sent or refused for good by another sender; nothing to do.
      }
      const asked = await Promise.allSettled(lapsed.map((email) => notFoundSent(email, sent)));
      const toSend = [...fresh, ...lapsed.filter((_, j) => asked[j]!.status === 'fulfilled' && (asked[j] as PromiseFulfilledResult<boolean>).value)];
      const settled: Array<PromiseSettledResult<unknown>> = [...asked];
      if (toSend.length > 0) {
        beforeEach();
        let outcomes: SendOutcome[];
        try {
          outcomes = await send(toSend);
        } catch (err) {
          // The call as a whole failed or went unanswered: the same for each of its emails.
          outcomes = toSend.map(() => ({ refusal: err }));
        }
        settled.push(...(await Promise.allSettled(toSend.map((email, j) => settle(email, outcomes[j]!, sent)))));
      }
      // Should this write fail, the rows keep their claims (never released to pending, which
      // would send them again), and whoever takes a lapsed claim finds the email at Postmark.
      await withDeadlockRetry(() => markSent(sent), { logger, what: 'emails marked sent', context: { emails: sent.length } });
      result.sent += sent.length;
      const broken = settled.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (broken) throw broken.reason;
    }
    return result;

    /**
     * Whether an email whose claim lapsed is still to send: the sender before may have reached
     * Postmark and died (or lost the database) before recording it, so Postmark is asked first.
     * Found there, it joins `sent`; if Postmark cannot answer, the claim stays and lapses again.
     */
    async function notFoundSent(email: OutgoingEmail, sent: Array<{ key: string; messageId: string }>): Promise<boolean> {
      beforeEach();
      let earlier: string | undefined;
      try {
        earlier = await sentEarlier(mail.postmark, email.key);
      } catch (err) {
        result.pending += 1;
        result.transient ??= err;
        return false;
      }
      if (!earlier) return true;
      logger.info({ email: email.key, messageId: earlier }, 'email found sent by an earlier attempt; not sent again');
      sent.push({ key: email.key, messageId: earlier });
      return false;
    }

    /** One claimed email's outcome: added to `sent` for the chunk's one update, or recorded on its row while this sender's claim stands. */
    async function settle(email: OutgoingEmail, outcome: SendOutcome, sent: Array<{ key: string; messageId: string }>): Promise<void> {
      const { key } = email;
      if ('messageId' in outcome) {
        sent.push({ key, messageId: outcome.messageId });
        return;
      }
      const err = outcome.refusal;
      // Only while this sender's claim stands: a row another sender has since settled keeps its outcome.
      const ours = { id: key, status: 'sending' };
      const error = err instanceof Error ? err.message : String(err);
      if (isPermanent(err)) {
        await models.EmailOutbox.update({ status: 'failed', error, updated_at: new Date() }, { where: ours });
        logger.warn({ email: key, error }, 'email refused for good; not retried');
        result.failed += 1;
        return;
      }
      if (!answered(err) && !outcome.neverSent) {
        // No answer (a timeout, a dropped connection): Postmark may have taken the email. The
        // claim is kept and set to lapse soon, so whoever takes it next asks Postmark first.
        await models.EmailOutbox.update({ error, updated_at: new Date(Date.now() - CLAIM_LAPSES_MS + UNANSWERED_RECHECK_MS) }, { where: ours });
        logger.warn({ email: key, error }, 'email send unanswered; Postmark is asked before it is sent again');
      } else {
        // Postmark answered that it did not take the email (or it never reached Postmark): the claim is released so the next attempt (or the sweep) can take it.
        await models.EmailOutbox.update({ status: 'pending', error, updated_at: new Date() }, { where: ours });
        logger.warn({ email: key, error }, 'email not sent yet; will retry');
      }
      result.pending += 1;
      // The others still get theirs now; a retry takes this one up again once its claim is released or lapses.
      result.transient ??= err;
    }
  }

  return {
    record,
    unsentCounts,
    deliver,
    sendEach,
    /** The unsent emails of one notification. */
    unsentOf: (notificationIds: string | string[]) => models.EmailOutbox.findAll({ where: { notification_id: notificationIds, status: { [Op.in]: UNSENT } }, order: [['id', 'ASC']] }),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
