import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createOutbox, NOTIFICATION_TITLE_LENGTH, type RecordedEmail } from '../mail/outbox';
import type { OutgoingEmail } from '../mail/sender';
import { createDeliveryStarter } from './email-outbox';
import type { NotifyInput, PageOnCallInput } from '../workflows/definitions';
import { oncallPageWorkflowId, type oncallPageWorkflow } from '../workflows/oncall-page';
import type { ActivityDeps } from './index';
import { createWatcherDelivery } from './watchers';

type Row = { get(key: string): unknown };
/** A notification and the people it is for. */
type Addressed = { input: NotifyInput; userIds: number[] };

async function postPage(url: string, input: PageOnCallInput): Promise<{ status: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': input.id },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status >= 400 && response.status < 500) {
    throw ApplicationFailure.nonRetryable(`on-call webhook refused the page with ${response.status}`, 'WebhookRefused');
  }
  if (!response.ok) throw new Error(`on-call webhook answered ${response.status}`);
  return { status: response.status };
}

/** How long `notifyAll` waits on Postmark itself before it hands the rest to a delivery workflow (well inside its 30 s). */
export const INLINE_SEND_BUDGET_MS = 5_000;

function countByNotification(emails: RecordedEmail[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const email of emails) counts.set(email.notificationId, (counts.get(email.notificationId) ?? 0) + 1);
  return counts;
}

/**
 * Who a notification reaches, its in-portal rows and email outbox rows, and the first try at
 * sending those emails: shared by `notify`/`notifyAll` and by `projectAndNotify`.
 */
export function createNotificationRecorder({ models, logger, mail, temporal }: ActivityDeps) {
  const outbox = mail ? createOutbox({ models, logger, mail }) : undefined;
  const startDelivery = createDeliveryStarter({ temporal, mail, logger });
  const watchersToNotify = createWatcherDelivery(models);

  /** Who a role means for this ticket: the department head for department_manager, the team's leads for team_lead. */
  async function resolveRecipients(recipients: NotifyInput['recipients']): Promise<number[]> {
    const ids = new Set(recipients.userIds ?? []);
    const { role, departmentId, teamId } = recipients;
    if (role === 'department_manager' && departmentId !== undefined) {
      const department = await models.Department.findByPk(departmentId);
      const head = department?.get('head_user_id') as number | null | undefined;
      if (head) ids.add(head);
    } else if ((role === 'team_lead' || role === 'team_member') && teamId) {
      const members = await models.TeamMember.findAll({ where: { team_id: teamId, ...(role === 'team_lead' ? { membership: 'lead' } : {}) } });
      members.forEach((m: Row) => ids.add(m.get('user_id') as number));
    } else if (role) {
      const users = await models.User.findAll({ where: { active: true, ...(role === 'admin' || departmentId === undefined ? {} : { department_id: departmentId }) } });
      users.filter((u: Row) => (u.get('roles') as string[]).includes(role)).forEach((u: Row) => ids.add(u.get('id') as number));
    }
    return [...ids];
  }

  /**
   * The in-portal notifications of several notifications, in one insert; a retried activity
   * finds its rows there already and leaves them as they are (a read one stays read).
   */
  async function deliver(batch: Addressed[]): Promise<void> {
    const rows = batch.flatMap(({ input, userIds }) =>
      userIds.map((userId) => ({
        id: `${input.id}:${userId}`,
        user_id: userId,
        ticket_number: input.ticketNumber,
        kind: input.kind,
        title: input.title.slice(0, NOTIFICATION_TITLE_LENGTH),
        body: input.body,
        created_at: new Date(),
        read_at: null,
      })),
    );
    if (rows.length > 0) await models.Notification.bulkCreate(rows, { ignoreDuplicates: true });
  }

  /** Records the emails and hands them to their delivery workflow; never calls Postmark. */
  async function queueEmails(input: NotifyInput, userIds: number[]): Promise<number> {
    if (!outbox) return 0;
    const emails = await outbox.record([{ input, userIds }]);
    const unsent = emails.length === 0 ? 0 : ((await outbox.unsentCounts([input.id])).get(input.id) ?? 0);
    if (unsent > 0) await startDelivery([input.id], input.ticketNumber, [input.kind]);
    return unsent;
  }

  /**
   * One try at sending a change's emails from here, bounded by INLINE_SEND_BUDGET_MS: true when
   * none is left unsent. Most of the time Postmark answers in milliseconds and a created ticket
   * needs no delivery workflow (one Temporal task fewer, and its emails out at once instead of
   * behind other tickets' workflow tasks). Anything else (a refusal, an outage, a ticket not yet
   * projected, a slow answer) goes to the delivery workflow, which retries with backoff. A send
   * still running when the budget ends goes on beside it; the outbox claims keep it to one send.
   */
  async function sentAtOnce(notificationIds: string[], recorded?: OutgoingEmail[]): Promise<boolean> {
    if (!outbox) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Emails the caller has just recorded, and built, need no reading back.
      const attempt = recorded ? outbox.sendEach(recorded) : outbox.deliver(await outbox.unsentOf(notificationIds));
      attempt.catch((err: unknown) => logger.warn({ err, notifications: notificationIds }, 'email not sent at once; its delivery workflow retries'));
      const outOfTime = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, INLINE_SEND_BUDGET_MS, undefined)));
      const counts = await Promise.race([attempt, outOfTime]);
      if (counts && (counts.sent > 0 || counts.failed > 0)) logger.info({ notifications: notificationIds, sent: counts.sent, failed: counts.failed, pending: counts.pending }, 'notification emailed at once');
      return counts !== undefined && counts.transient === undefined && counts.pending === 0;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The in-portal notifications and email rows of one change's notifications, without starting
   * their delivery: who each is for, then the rows of them all in a handful of statements. With
   * `countUnsent`, how many of each notification's emails are still unsent (one more read: a
   * retry may find some sent); without, how many it recorded or found, and the emails
   * themselves, for a caller that sends them at once (their claims skip any already sent).
   */
  async function recordAll(
    inputs: NotifyInput[],
    { countUnsent = true }: { countUnsent?: boolean } = {},
  ): Promise<{ notified: Array<{ delivered: number; recipients: number[]; emailsUnsent: number }>; emails: RecordedEmail[] }> {
    const batch: Addressed[] = [];
    for (const input of inputs) {
      const addressed = await resolveRecipients(input.recipients);
      batch.push({ input, userIds: [...addressed, ...(await watchersToNotify(input, addressed))] });
    }
    await deliver(batch);
    const emails = outbox ? await outbox.record(batch) : [];
    // No email recorded or found for anyone active with an address: nothing to count. (A row
    // an earlier attempt left for someone since deactivated waits for the outbox sweep, which
    // marks it failed.)
    const unsentOf = countUnsent && emails.length > 0 ? await outbox!.unsentCounts(inputs.map((i) => i.id)) : countByNotification(emails);
    const notified = batch.map(({ input, userIds }) => {
      const emailsUnsent = userIds.length === 0 ? 0 : (unsentOf.get(input.id) ?? 0);
      logger.info({ notification: input.id, recipients: userIds.length, ...(countUnsent ? { emailsUnsent } : { emails: emailsUnsent }) }, 'notification recorded');
      return { delivered: userIds.length, recipients: userIds, emailsUnsent };
    });
    return { notified, emails };
  }

  /**
   * The emails of a batch of notifications: one try from here (`sentAtOnce`, with the emails
   * when the caller has just recorded them), then one delivery workflow for what is left, named
   * by the batch's first notification (so a retry finds it) and naming every notification of the
   * batch (it sends only what is unsent).
   */
  async function sendOrHandOver(inputs: NotifyInput[], recorded?: OutgoingEmail[]): Promise<void> {
    const ids = inputs.map((i) => i.id);
    if (!(await sentAtOnce(ids, recorded))) await startDelivery(ids, inputs[0]!.ticketNumber, inputs.map((i) => i.kind));
  }

  return { resolveRecipients, deliver, queueEmails, recordAll, startDelivery, sendOrHandOver };
}

export function createNotificationActivities(deps: ActivityDeps) {
  const { models, oncallWebhookUrl, temporal } = deps;
  const { resolveRecipients, deliver, queueEmails, recordAll, startDelivery, sendOrHandOver } = createNotificationRecorder(deps);
  return {
    /**
     * Records, durably and only that: the in-portal notifications and the email outbox rows.
     * Email goes out from the delivery workflow this starts, so a slow or failing Postmark
     * never holds up the ticket; the only thing that can make this fail is our own database
     * (or Temporal), which the ticket retries until it answers. Each row's id is the
     * workflow's stable notification id plus the recipient, so a retry records nothing twice.
     * Returns how many people the notification is for (already delivered ones included).
     */
    async notify(input: NotifyInput): Promise<{ delivered: number; recipients: number[] }> {
      const { delivered, recipients, emailsUnsent } = (await recordAll([input])).notified[0]!;
      if (emailsUnsent > 0) await startDelivery([input.id], input.ticketNumber, [input.kind]);
      return { delivered, recipients };
    },

    /**
     * `notify` for every notification one change of a ticket calls for (a created ticket's
     * receipt, team and assignee notices), in one activity: one activity task instead of one
     * per notification. Their emails are tried here once (`sentAtOnce`); what is left goes to
     * one delivery workflow for all of them. It runs beside the ticket's loop, which never
     * waits for it. The same rows with the same ids as `notify`, so a retry records nothing
     * twice; the delivery's id is the first notification's, so a retry finds it.
     */
    async notifyAll(inputs: NotifyInput[]): Promise<Array<{ delivered: number; recipients: number[] }>> {
      const results = (await recordAll(inputs)).notified;
      if (results.some((r) => r.emailsUnsent > 0)) await sendOrHandOver(inputs);
      return results.map(({ delivered, recipients }) => ({ delivered, recipients }));
    },

    /**
     * The on-call hook: records the page and tells the owning team's leads; when
     * ONCALL_WEBHOOK_URL is configured, hands the page to its own delivery workflow (off the
     * ticket, which must not wait on an outside service) that posts it with the page id as
     * idempotency key. Without a Temporal client (a bare createActivities) it posts inline.
     */
    async pageOnCall(input: PageOnCallInput): Promise<{ summary: string }> {
      await models.OncallPage.bulkCreate(
        [{ id: input.id, ticket_number: input.ticketNumber, team_id: input.teamId, message: input.message, created_at: new Date() }],
        { ignoreDuplicates: true },
      );
      const leads = await resolveRecipients({ role: 'team_lead', teamId: input.teamId });
      const page: NotifyInput = { id: input.id, ticketNumber: input.ticketNumber, kind: 'page', title: `Paged: ${input.message}`, body: input.message, recipients: {} };
      await deliver([{ input: page, userIds: leads }]);
      await queueEmails(page, leads);
      if (!oncallWebhookUrl) return { summary: `${leads.length} lead(s) notified` };
      if (!temporal) return { summary: `${leads.length} lead(s) notified, webhook ${(await postPage(oncallWebhookUrl, input)).status}` };
      const workflowId = oncallPageWorkflowId(input.id);
      try {
        await temporal.client.workflow.start<typeof oncallPageWorkflow>('oncallPageWorkflow', {
          workflowId,
          taskQueue: temporal.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          staticSummary: `Page on-call for ticket #${input.ticketNumber}`,
        });
      } catch (err) {
        // A retried pageOnCall whose delivery already ran (and ended): that one stands.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return { summary: `${leads.length} lead(s) notified, webhook delivery ${workflowId}` };
    },

    /** The on-call page workflow's one activity: a 4xx will not get better by retrying; a 5xx or a network error may. */
    async postPageToWebhook(input: PageOnCallInput): Promise<{ status: number }> {
      if (!oncallWebhookUrl) throw ApplicationFailure.nonRetryable('ONCALL_WEBHOOK_URL is no longer configured', 'WebhookRefused');
      return postPage(oncallWebhookUrl, input);
    },
  };
}
