import { Op } from 'sequelize';
import { ApplicationFailure } from '@temporalio/common';
import { Errors, type ServerClient } from 'postmark';
import type { Logger } from 'pino';
import type { Models } from '../lib/db/models';
import type { Signer } from '../lib/signing';
import type { NotifyInput } from '../workflows/definitions';
import { approvalLinks, approvalStepOf } from './approval-links';
import { isPostmarkError, loadTemplates, pushTemplate, TEMPLATE_NOT_FOUND } from './postmark';
import { APPROVAL_LINK_KINDS, type TemplateModel } from './templates';

/** What email out needs, wired by the worker (and by tests with a real client against the sink). */
export interface MailDeps {
  postmark: ServerClient;
  from: string;
  /** The support mailbox; every ticket email's Reply-To is its plus-address for that ticket. */
  supportAddress: string;
  /** Portal base URL, for the link to the ticket. */
  webUrl: string;
  /** API base URL, which serves the one-click approval pages. */
  apiUrl: string;
  /** Without a signer there are no approval links and replies go to the plain support address. */
  signer?: Signer;
  productName?: string;
}

type Row = { get(key: string): unknown };

/** Longer than one send can take (the client's timeout), so a live claim is never taken over. */
export const CLAIM_LAPSES_MS = 2 * 60_000;

/** Postmark refuses these for good (bad or suppressed address): retrying cannot help. */
function isPermanent(err: unknown): boolean {
  return err instanceof Errors.ApiInputError && (err.code === Errors.ApiInputError.ERROR_CODES.invalidEmailRequest || err.code === Errors.ApiInputError.ERROR_CODES.inactiveRecipient);
}

export function createMailer({ models, logger, mail }: { models: Models; logger: Logger; mail: MailDeps }) {
  const [supportLocal, supportDomain] = mail.supportAddress.split('@') as [string, string];

  function replyTo(ticket: number): string {
    return mail.signer ? `${supportLocal}+${mail.signer.mailboxHash(ticket)}@${supportDomain}` : mail.supportAddress;
  }

  function modelFor(input: NotifyInput, user: Row, ticketTitle: string, emailKey: string): TemplateModel {
    const step = approvalStepOf(input.id);
    const links =
      mail.signer && step !== null && APPROVAL_LINK_KINDS.includes(input.kind)
        ? approvalLinks(mail.signer, mail.apiUrl, { ticket: input.ticketNumber, step, approverId: user.get('id') as number, emailKey }, new Date())
        : undefined;
    return {
      product_name: mail.productName ?? 'Service Desk',
      support_address: mail.supportAddress,
      recipient: { name: String(user.get('name') ?? ''), email: String(user.get('email')) },
      ticket: { number: input.ticketNumber, title: ticketTitle, url: `${mail.webUrl.replace(/\/+$/, '')}/tickets/${input.ticketNumber}` },
      notification: { kind: input.kind, title: input.title, body: input.body },
      ...(links ? { approval: { approve_url: links.approve_url, reject_url: links.reject_url, expires_at: links.expires_at.toUTCString() } } : {}),
    };
  }

  async function send(input: NotifyInput, user: Row, ticketTitle: string, key: string) {
    const message = {
      From: mail.from,
      To: String(user.get('email')),
      TemplateAlias: input.kind,
      TemplateModel: modelFor(input, user, ticketTitle, key),
      ReplyTo: replyTo(input.ticketNumber),
      Tag: input.kind,
      MessageStream: 'outbound',
      // Stable ids: a resent email is recognisably the same one, and a ticket's emails thread together.
      Headers: [
        { Name: 'Message-ID', Value: `<${key.replace(/[^A-Za-z0-9.-]/g, '.')}@${supportDomain}>` },
        { Name: 'References', Value: `<ticket-${input.ticketNumber}@${supportDomain}>` },
        // Machine-sent (RFC 3834): out-of-office responders should not answer it.
        { Name: 'Auto-Submitted', Value: 'auto-generated' },
        { Name: 'X-Auto-Response-Suppress', Value: 'All' },
      ],
      Metadata: { notification: input.id, ticket: String(input.ticketNumber) },
    };
    try {
      return await mail.postmark.sendEmailWithTemplate(message);
    } catch (err) {
      if (!isPostmarkError(err, TEMPLATE_NOT_FOUND)) throw err;
      // Postmark lost (or never got) this template: push it from the database and try once more.
      const [template] = await loadTemplates(models, input.kind);
      if (!template) throw ApplicationFailure.nonRetryable(`No email template for notification kind ${input.kind}`, 'MissingTemplate');
      await pushTemplate(mail.postmark, template);
      return mail.postmark.sendEmailWithTemplate(message);
    }
  }

  /**
   * Emails one notification to each person, at most once: the outbox row keyed by
   * notification and person says whether it went. A retried activity skips what was
   * sent or refused for good; a crash before the send left the row pending, so the
   * retry sends it. Transient failures throw, for Temporal to retry.
   */
  async function emailNotification(input: NotifyInput, userIds: number[]): Promise<{ sent: number; failed: number; skipped: number }> {
    const counts = { sent: 0, failed: 0, skipped: 0 };
    if (userIds.length === 0) return counts;
    const users = await models.User.findAll({ where: { id: userIds, active: true } });
    const ticket = await models.Ticket.findByPk(input.ticketNumber, { attributes: ['title'] });
    const ticketTitle = (ticket?.get('title') as string | undefined) ?? '';
    let transient: unknown;
    for (const user of users) {
      const email = user.get('email') as string | null;
      if (!email) {
        counts.skipped += 1;
        continue;
      }
      const key = `${input.id}:${user.get('id') as number}`;
      const now = new Date();
      await models.EmailOutbox.bulkCreate(
        [{ id: key, notification_id: input.id, user_id: user.get('id'), ticket_number: input.ticketNumber, kind: input.kind, to_address: email, status: 'pending', attempts: 0, created_at: now, updated_at: now }],
        { ignoreDuplicates: true },
      );
      // Claim the row before sending: a timed-out attempt may still be running beside its
      // retry, and only one of them may send. A claim left by a crashed attempt lapses.
      const [claimed] = await models.EmailOutbox.update(
        { status: 'sending', updated_at: now },
        { where: { id: key, [Op.or]: [{ status: 'pending' }, { status: 'sending', updated_at: { [Op.lt]: new Date(now.getTime() - CLAIM_LAPSES_MS) } }] } },
      );
      if (claimed === 0) {
        counts.skipped += 1;
        continue;
      }
      const row = (await models.EmailOutbox.findByPk(key))!;
      const attempts = (row.get('attempts') as number) + 1;
      try {
        const response = await send(input, user, ticketTitle, key);
        await row.update({ status: 'sent', message_id: response.MessageID, attempts, error: null, sent_at: new Date(), updated_at: new Date() });
        counts.sent += 1;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        if (isPermanent(err)) {
          await row.update({ status: 'failed', attempts, error, updated_at: new Date() });
          logger.warn({ notification: input.id, to: email, error }, 'email refused for good; not retried');
          counts.failed += 1;
        } else {
          await row.update({ status: 'pending', attempts, error, updated_at: new Date() });
          logger.warn({ notification: input.id, to: email, error }, 'email not sent yet; will retry');
          // The others still get theirs now; the retry sends only what is pending.
          transient ??= err;
        }
      }
    }
    if (transient) throw transient;
    return counts;
  }

  return { emailNotification };
}

export type Mailer = ReturnType<typeof createMailer>;
