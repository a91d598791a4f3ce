import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { UniqueConstraintError, type Model } from 'sequelize';
import { z } from 'zod';
import type { AttachmentService } from '../../attachments/service';
import type { Models } from '../../lib/db/models';
import type { Organisation, UserProfile } from '../../lib/db/organisation';
import type { Signer } from '../../lib/signing';
import { TERMINAL_STATUSES, type TicketStatus } from '../../workflows/domain/types';
import { ApiError, fromZod, toApiError, type FieldError } from '../errors';
import type { TicketReads } from '../ticket-reads';
import type { TicketService } from '../ticket-service';
import { verifySender, type SenderPolicy } from './sender-auth';

/**
 * Postmark's inbound webhook payload, the fields we use. Postmark sends more (Cc, Bcc,
 * Date, Tag…); unknown keys are allowed so a new field on their side never bounces mail.
 */
const Recipient = z.object({ Email: z.string().max(320), Name: z.string().max(500).optional().default(''), MailboxHash: z.string().max(200).optional().default('') });
export const PostmarkInbound = z.object({
  MessageID: z.string().trim().min(1).max(255),
  From: z.string().max(1000),
  FromFull: Recipient,
  To: z.string().max(5000).optional().default(''),
  ToFull: z.array(Recipient).max(200).optional().default([]),
  MailboxHash: z.string().max(200).optional().default(''),
  Subject: z.string().max(5000).optional().default(''),
  TextBody: z.string().optional().default(''),
  HtmlBody: z.string().optional().default(''),
  StrippedTextReply: z.string().optional().default(''),
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).optional().default([]),
  Attachments: z
    .array(z.object({ Name: z.string().max(1000), Content: z.base64(), ContentType: z.string().max(255).optional(), ContentLength: z.number().int().min(0).optional() }))
    .max(50)
    .optional()
    .default([]),
});
export type PostmarkInbound = z.infer<typeof PostmarkInbound>;

/** What became of one inbound message; the refusals are permanent, so they answer 403 (the one status that stops Postmark's retries). */
export type InboundOutcome = 'created' | 'replied' | 'unknown_sender' | 'forged_hash' | 'not_allowed' | 'ticket_closed' | 'ticket_resolved' | 'auto_reply' | 'intake_refused' | 'malformed';

const REFUSAL_STATUS: Record<Exclude<InboundOutcome, 'created' | 'replied'>, number> = {
  unknown_sender: 403,
  forged_hash: 403,
  not_allowed: 403,
  ticket_closed: 403,
  ticket_resolved: 403,
  auto_reply: 403,
  intake_refused: 403,
  malformed: 400,
};

/**
 * Out-of-office and other machine replies (RFC 3834 and the common vendor headers). Taking
 * them in would reopen resolved tickets and, answered by another auto-reply, ping-pong.
 */
function automaticReplyHeader(headers: Array<{ Name: string; Value: string }>): string | undefined {
  for (const { Name, Value } of headers) {
    const name = Name.toLowerCase();
    const value = Value.trim().toLowerCase();
    if (name === 'auto-submitted' && value !== 'no') return `${Name}: ${Value}`;
    if (name === 'x-autoreply' || name === 'x-autorespond') return `${Name}: ${Value}`;
    if (name === 'precedence' && ['bulk', 'junk', 'list', 'auto_reply'].includes(value)) return `${Name}: ${Value}`;
  }
  return undefined;
}

export interface AttachmentOutcome {
  name: string;
  outcome: 'kept' | 'refused';
  attachmentId?: string;
  status?: string;
  reason?: string;
}

export interface InboundAnswer {
  status: number;
  replayed: boolean;
  outcome: InboundOutcome;
  reason: string | null;
  ticketNumber: number | null;
  attachments: AttachmentOutcome[];
  details: FieldError[];
}

export interface InboundDeps {
  models: Models;
  organisation: Organisation;
  reads: TicketReads;
  service: TicketService;
  files: AttachmentService;
  signer: Signer;
  reopenResolved: boolean;
  /** How each From: domain must authenticate (aligned SPF/DKIM or DMARC); relaxed alignment when not listed. */
  senderPolicy: SenderPolicy;
  /** The category an emailed ticket starts in; routing rules still apply to its words. */
  intakeCategoryCode: string;
  logger: Logger;
}

class Refusal extends Error {
  constructor(
    readonly outcome: Exclude<InboundOutcome, 'created' | 'replied' | 'malformed'>,
    message: string,
  ) {
    super(message);
  }
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** A stable key per inbound message, in the alphabet Idempotency-Key and update ids accept. */
const keyOf = (messageId: string) => `email-${crypto.createHash('sha256').update(messageId).digest('hex').slice(0, 40)}`;

function answerOf(row: Model, replayed: boolean): InboundAnswer {
  const detail = (row.get('detail') as { attachments?: AttachmentOutcome[]; details?: FieldError[] } | null) ?? {};
  return {
    status: row.get('status_code') as number,
    replayed,
    outcome: row.get('outcome') as InboundOutcome,
    reason: (row.get('reason') as string | null) ?? null,
    ticketNumber: (row.get('ticket_number') as number | null) ?? null,
    attachments: detail.attachments ?? [],
    details: detail.details ?? [],
  };
}

export function createInboundMail({ models, organisation, reads, service, files, signer, reopenResolved, senderPolicy, intakeCategoryCode, logger }: InboundDeps) {
  /** Keeps what it can: each file goes through the same sniffing and scanning as an upload; a refused one is noted, not fatal. */
  async function keepAttachments(mail: PostmarkInbound, ticketNumber: number, user: UserProfile, visibility: 'public' | 'internal'): Promise<AttachmentOutcome[]> {
    const results: AttachmentOutcome[] = [];
    for (const attachment of mail.Attachments) {
      const spooled = await files.spool(Readable.from([Buffer.from(attachment.Content, 'base64')]), attachment.Name);
      if (spooled.tooLarge || !spooled.verdict.ok) {
        await files.discard([spooled]);
        results.push({ name: spooled.filename, outcome: 'refused', reason: spooled.tooLarge ? 'larger than 25 MB' : spooled.verdict.ok ? '' : spooled.verdict.reason });
        continue;
      }
      // A redelivery after a partial failure must not store what the first delivery already kept.
      const kept = await models.Attachment.findOne({ where: { ticket_number: ticketNumber, sha256: spooled.sha256, filename: spooled.filename, uploaded_by: user.id, source: 'email' } });
      if (kept) {
        await files.discard([spooled]);
        results.push({ name: spooled.filename, outcome: 'kept', attachmentId: kept.get('id') as string, status: kept.get('status') as string });
        continue;
      }
      const view = await files.commit(ticketNumber, spooled, { visibility, uploadedBy: user.id, source: 'email' });
      results.push({ name: view.filename, outcome: 'kept', attachmentId: view.id, status: view.status });
    }
    return results;
  }

  /**
   * A reply by email. The requester's goes on the conversation as a public reply; anyone
   * else's (staff answering a notification, perhaps one about an internal note, with the
   * note quoted below) becomes an internal note: nothing written by email can put
   * internal discussion in front of the requester.
   */
  async function replyTo(mail: PostmarkInbound, user: UserProfile, hash: string): Promise<{ number: number; visibility: 'public' | 'internal' }> {
    const number = signer.ticketFromMailboxHash(hash);
    if (number === null) throw new Refusal('forged_hash', `The reply address support+${clip(hash, 60)}@… was not issued by this service`);
    const row = await reads.visibleRow(number, user);
    // Same answer for "no such ticket" and "not yours": a reply address must not reveal tickets.
    if (!row) throw new Refusal('not_allowed', `${user.email} may not write on ticket #${number}`);
    const status = row.get('status') as TicketStatus;
    if (TERMINAL_STATUSES.includes(status)) {
      throw new Refusal('ticket_closed', `Ticket #${number} is ${status} and takes no more replies; write a new email (not a reply) to open a new ticket`);
    }
    const key = keyOf(mail.MessageID);
    const visibility = row.get('requester_id') === user.id ? 'public' : 'internal';
    try {
      // Only the requester's answer reopens a resolved ticket; a colleague's emailed note (a
      // "thanks, done" to the resolution email) is recorded on it as it stands.
      if (status === 'resolved' && visibility === 'public') {
        if (!reopenResolved) throw new Refusal('ticket_resolved', `Ticket #${number} is resolved and replies by email do not reopen it; reopen it in the portal`);
        await service.act(user, number, 'reopen', { reason: 'Reopened by an email reply' }, key);
      }
      const body = clip(mail.StrippedTextReply.trim() || mail.TextBody.trim() || (mail.Attachments.length ? '(attachments only)' : '(empty message)'), 20_000);
      await service.reply(user, number, { body, visibility }, key);
    } catch (err) {
      // The workflow's own refusals (a validator said no) are permanent too: record them and stop Postmark's retries.
      const known = err instanceof Refusal ? undefined : toApiError(err);
      if (known?.status === 403 || known?.status === 404) throw new Refusal('not_allowed', `${user.email} may not write on ticket #${number}: ${known.message}`);
      if (known?.status === 409) throw new Refusal('ticket_closed', `Ticket #${number} takes no reply from ${user.email} now: ${known.message}`);
      throw err;
    }
    return { number, visibility };
  }

  async function create(mail: PostmarkInbound, user: UserProfile): Promise<number> {
    const category = (await organisation.categories()).find((c) => c.code === intakeCategoryCode);
    if (!category) throw new Error(`The intake category "${intakeCategoryCode}" does not exist or is inactive`);
    const subject = mail.Subject.replace(/\s+/g, ' ').trim();
    const title = clip(subject.length >= 3 ? subject : `Email from ${user.name}`, 200);
    const description = clip(mail.TextBody.trim() || mail.StrippedTextReply.trim() || '(no text in the email)', 20_000);
    try {
      const { number } = await service.open(user, { title, description, categoryId: category.id, priority: 'medium', customFields: {} }, keyOf(mail.MessageID), 'email');
      return number;
    } catch (err) {
      // The intake category asks for what an email cannot give (a required field): every retry
      // would fail the same way, so the message is recorded with why, for ops to see and fix.
      const known = toApiError(err);
      if (known?.status !== 400) throw err;
      const fields = known.details?.map((d) => d.field).join(', ');
      throw new Refusal('intake_refused', `The intake category "${intakeCategoryCode}" refused the ticket: ${known.message}${fields ? ` (${fields})` : ''}; choose an intake category an email can fill (INBOUND_CATEGORY)`);
    }
  }

  async function record(values: Record<string, unknown>): Promise<InboundAnswer> {
    try {
      return answerOf(await models.InboundEmail.create({ ...values, received_at: new Date() }), false);
    } catch (err) {
      // Two deliveries of one message raced: the first record is the answer for both.
      if (err instanceof UniqueConstraintError && values.message_id) {
        const first = await models.InboundEmail.findOne({ where: { message_id: values.message_id as string } });
        if (first) return answerOf(first, true);
      }
      throw err;
    }
  }

  return {
    async receive(payload: unknown): Promise<InboundAnswer> {
      const raw = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
      const parsed = PostmarkInbound.safeParse(payload);
      const messageId = typeof raw.MessageID === 'string' && raw.MessageID.trim() ? raw.MessageID.trim().slice(0, 255) : null;
      if (messageId) {
        const earlier = await models.InboundEmail.findOne({ where: { message_id: messageId } });
        if (earlier) return answerOf(earlier, true);
      }
      const envelope = {
        message_id: messageId,
        from_address: typeof raw.From === 'string' ? clip(raw.From, 320) : null,
        to_address: typeof raw.To === 'string' ? clip(raw.To, 1000) : null,
        mailbox_hash: typeof raw.MailboxHash === 'string' ? clip(raw.MailboxHash, 128) : null,
        subject: typeof raw.Subject === 'string' ? clip(raw.Subject, 1000) : null,
      };
      if (!parsed.success) {
        const details = fromZod(parsed.error).details;
        return record({ ...envelope, outcome: 'malformed', status_code: 400, reason: clip(details.map((d) => `${d.field}: ${d.message}`).join('; '), 1000), detail: { details } });
      }
      const mail = parsed.data;
      const senderAddress = (mail.FromFull.Email || mail.From).trim();
      const hash = mail.MailboxHash || mail.ToFull.find((r) => r.MailboxHash)?.MailboxHash || '';
      try {
        const user = await organisation.userByEmail(senderAddress);
        // An employee's address alone is no proof: the From: domain itself must vouch for the message.
        const verdict = verifySender(senderAddress, mail.Headers, senderPolicy);
        if (!verdict.ok) throw new Refusal('unknown_sender', `${clip(senderAddress, 200)} could not be verified as the sender (${clip(verdict.reason, 600)})`);
        if (!user) throw new Refusal('unknown_sender', `${clip(senderAddress, 200)} is not an active employee in the directory`);
        const automatic = automaticReplyHeader(mail.Headers);
        if (automatic) throw new Refusal('auto_reply', `An automatic reply (${clip(automatic, 100)}) is not taken in`);
        const outcome: InboundOutcome = hash ? 'replied' : 'created';
        const { number: ticketNumber, visibility } = hash ? await replyTo(mail, user, hash) : { number: await create(mail, user), visibility: 'public' as const };
        const attachments = await keepAttachments(mail, ticketNumber, user, visibility);
        logger.info({ messageId: mail.MessageID, outcome, ticketNumber }, 'inbound email accepted');
        return record({ ...envelope, from_address: clip(senderAddress, 320), outcome, status_code: 200, ticket_number: ticketNumber, reason: null, detail: { attachments } });
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        logger.warn({ messageId: mail.MessageID, outcome: err.outcome, reason: err.message }, 'inbound email refused');
        return record({ ...envelope, from_address: clip(senderAddress, 320), outcome: err.outcome, status_code: REFUSAL_STATUS[err.outcome], reason: clip(err.message, 1000), detail: {} });
      }
    },
  };
}

export type InboundMail = ReturnType<typeof createInboundMail>;
