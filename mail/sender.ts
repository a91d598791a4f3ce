import { ApplicationFailure } from '@temporalio/common';
import { Errors, type Models as PostmarkModels, type ServerClient, type TemplatedMessage } from 'postmark';
import type { Models } from '../lib/db/models';
import type { Signer } from '../lib/signing';
import { approvalLinks, approvalStepOf } from './approval-links';
import { isPostmarkError, loadTemplates, pushTemplate, TEMPLATE_NOT_FOUND } from './postmark';
import { APPROVAL_LINK_KINDS, type TemplateModel } from './templates';

/** How the sender retries a Postmark that answers 5xx or not at all: exponential backoff between these bounds. */
export interface EmailRetry {
  initialIntervalMs: number;
  maximumIntervalMs: number;
}

export const DEFAULT_EMAIL_RETRY: EmailRetry = { initialIntervalMs: 5_000, maximumIntervalMs: 5 * 60_000 };

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
  /** The delivery workflow's backoff (EMAIL_RETRY_* settings); tests shorten it. */
  retry?: EmailRetry;
}

/** One email as the outbox knows it: the notification it copies, the person, the ticket it is about. */
export interface OutgoingEmail {
  /** The outbox row's id: notification id plus person, also the stable Message-ID. */
  key: string;
  notificationId: string;
  ticketNumber: number;
  ticketTitle: string;
  kind: string;
  title: string;
  body: string;
  recipient: { id: number; name: string; email: string };
}

/** Postmark refuses these for good (bad or suppressed address): retrying cannot help. */
export function isPermanent(err: unknown): boolean {
  return err instanceof Errors.ApiInputError && (err.code === Errors.ApiInputError.ERROR_CODES.invalidEmailRequest || err.code === Errors.ApiInputError.ERROR_CODES.inactiveRecipient);
}

/**
 * The MessageID of an email Postmark already accepted for this outbox row, found by its
 * `email` metadata through Postmark's outbound message search; undefined when none was.
 */
export async function sentEarlier(postmark: ServerClient, key: string): Promise<string | undefined> {
  const found = await postmark.getOutboundMessages({ count: 1, offset: 0, metadata_email: key });
  return found.Messages[0]?.MessageID;
}

/**
 * One email's outcome: Postmark took it, or it did not go: Postmark's refusal (an error with its
 * code), the call's own failure, or, with `neverSent`, a failure before it reached Postmark at
 * all (it could not be built, or its lost template could not be pushed), so Postmark is not
 * asked about it before the next try.
 */
export type SendOutcome = { messageId: string } | { refusal: unknown; neverSent?: true };

/** Renders and sends emails through Postmark's templates; knows nothing of the outbox. */
export function createSender({ models, mail }: { models: Models; mail: MailDeps }) {
  const [supportLocal, supportDomain] = mail.supportAddress.split('@') as [string, string];

  function replyTo(ticket: number): string {
    return mail.signer ? `${supportLocal}+${mail.signer.mailboxHash(ticket)}@${supportDomain}` : mail.supportAddress;
  }

  function modelFor(email: OutgoingEmail): TemplateModel {
    const step = approvalStepOf(email.notificationId);
    const links =
      mail.signer && step !== null && APPROVAL_LINK_KINDS.includes(email.kind)
        ? approvalLinks(mail.signer, mail.apiUrl, { ticket: email.ticketNumber, step, approverId: email.recipient.id, emailKey: email.key }, new Date())
        : undefined;
    return {
      product_name: mail.productName ?? 'Service Desk',
      support_address: mail.supportAddress,
      recipient: { name: email.recipient.name, email: email.recipient.email },
      ticket: { number: email.ticketNumber, title: email.ticketTitle, url: `${mail.webUrl.replace(/\/+$/, '')}/tickets/${email.ticketNumber}` },
      notification: { kind: email.kind, title: email.title, body: email.body },
      ...(links ? { approval: { approve_url: links.approve_url, reject_url: links.reject_url, expires_at: links.expires_at.toUTCString() } } : {}),
    };
  }

  /** One push per template at a time: emails sent together that all miss it wait on the same push. */
  const pushing = new Map<string, Promise<void>>();
  function pushOnce(kind: string): Promise<void> {
    let push = pushing.get(kind);
    if (!push) {
      push = (async () => {
        const [template] = await loadTemplates(models, kind);
        if (!template) throw ApplicationFailure.nonRetryable(`No email template for notification kind ${kind}`, 'MissingTemplate');
        await pushTemplate(mail.postmark, template);
      })().finally(() => pushing.delete(kind));
      pushing.set(kind, push);
    }
    return push;
  }

  function messageFor(email: OutgoingEmail): TemplatedMessage {
    return {
      From: mail.from,
      To: email.recipient.email,
      TemplateAlias: email.kind,
      TemplateModel: modelFor(email),
      ReplyTo: replyTo(email.ticketNumber),
      Tag: email.kind,
      MessageStream: 'outbound',
      // Stable ids: a resent email is recognisably the same one, and a ticket's emails thread together.
      Headers: [
        { Name: 'Message-ID', Value: `<${email.key.replace(/[^A-Za-z0-9.-]/g, '.')}@${supportDomain}>` },
        { Name: 'References', Value: `<ticket-${email.ticketNumber}@${supportDomain}>` },
        // Machine-sent (RFC 3834): out-of-office responders should not answer it.
        { Name: 'Auto-Submitted', Value: 'auto-generated' },
        { Name: 'X-Auto-Response-Suppress', Value: 'All' },
      ],
      // `email` names the outbox row, so a sender that takes over a lapsed claim can ask Postmark whether it went.
      Metadata: { notification: email.notificationId, ticket: String(email.ticketNumber), email: email.key },
    };
  }

  async function batch(messages: TemplatedMessage[]): Promise<PostmarkModels.MessageSendingResponse[]> {
    const answers = await mail.postmark.sendEmailBatchWithTemplates(messages);
    // Postmark answers each message in the order sent; any other answer cannot be matched to them.
    if (!Array.isArray(answers) || answers.length !== messages.length) throw new Error(`Postmark answered a batch of ${messages.length} with ${Array.isArray(answers) ? answers.length : 'no'} outcomes`);
    return answers;
  }

  /**
   * Sends emails in one call to Postmark's batch endpoint and answers each one's outcome, in
   * order: its Message ID, or why it did not go (Postmark's refusal of it, with Postmark's code,
   * as a single send would have thrown; or the failure that kept it from Postmark). A first call
   * Postmark fails as a whole, or does not answer, throws; after it, each email keeps its own
   * outcome, so one Postmark took is never reported as failed with others.
   */
  return async function sendAll(emails: OutgoingEmail[]): Promise<SendOutcome[]> {
    const outcomes: Array<SendOutcome | undefined> = emails.map(() => undefined);
    const built: Array<{ at: number; message: TemplatedMessage }> = [];
    emails.forEach((email, at) => {
      try {
        built.push({ at, message: messageFor(email) });
      } catch (err) {
        outcomes[at] = { refusal: err, neverSent: true };
      }
    });
    if (built.length > 0) {
      const answers = await batch(built.map((b) => b.message));
      const lost: typeof built = [];
      answers.forEach((answer, j) => {
        if (answer.ErrorCode === TEMPLATE_NOT_FOUND) lost.push(built[j]!);
        else outcomes[built[j]!.at] = outcomeOf(answer);
      });
      if (lost.length > 0) await sendAgainOnceTemplatesPushed(lost, outcomes);
    }
    return outcomes.map((outcome) => outcome!);
  };

  /** Postmark lost (or never got) these emails' templates: each kind pushed from the database once, then those emails sent again. */
  async function sendAgainOnceTemplatesPushed(lost: Array<{ at: number; message: TemplatedMessage }>, outcomes: Array<SendOutcome | undefined>): Promise<void> {
    const kinds = [...new Set(lost.map((l) => l.message.TemplateAlias!))];
    const indexOfKind = new Map(kinds.map((kind, k) => [kind, k]));
    const results = await Promise.allSettled(kinds.map(pushOnce));
    const ready: typeof lost = [];
    for (const l of lost) {
      const result = results[indexOfKind.get(l.message.TemplateAlias!)!]!;
      if (result.status === 'rejected') outcomes[l.at] = { refusal: result.reason, neverSent: true };
      else ready.push(l);
    }
    if (ready.length === 0) return;
    try {
      const again = await batch(ready.map((r) => r.message));
      again.forEach((answer, j) => (outcomes[ready[j]!.at] = outcomeOf(answer)));
    } catch (err) {
      for (const r of ready) outcomes[r.at] = { refusal: err };
    }
  }
}

function outcomeOf(answer: PostmarkModels.MessageSendingResponse): SendOutcome {
  return answer.ErrorCode === 0 ? { messageId: answer.MessageID } : { refusal: new Errors.ApiInputError(answer.Message, answer.ErrorCode, 422) };
}
