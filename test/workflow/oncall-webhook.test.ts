import { WorkflowFailedError } from '@temporalio/client';
import type { DateTime } from 'luxon';
import { startWebhookTarget, type WebhookTarget } from '../../scripts/chaos/webhook-target';
import { replyUpdate } from '../../workflows/definitions';
import { oncallPageWorkflowId, type oncallPageWorkflow } from '../../workflows/oncall-page';
import { startTimeSkipping, type TimeSkippingHarness } from '../support/time-skipping';
import { waitUntil, within } from '../support/wait';

/**
 * The on-call webhook (ONCALL_WEBHOOK_URL) behind a `page_oncall` escalation: the ticket records the
 * page, tells the team's leads and hands the post to a delivery workflow of its own, so a failing
 * webhook never holds the ticket. That workflow posts once with the page id as idempotency key,
 * retries a 5xx (bounded) and gives up saying so, and does not retry a 4xx. Time skipping fires the
 * ladder and the retries' backoff without waiting for them.
 */
let h: TimeSkippingHarness;
let webhook: WebhookTarget;

beforeAll(async () => {
  webhook = await startWebhookTarget();
  h = await startTimeSkipping({ activityDeps: { oncallWebhookUrl: webhook.url } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await webhook?.stop();
});

const at = (week: DateTime, day: number, clock: string) => {
  const [hour, minute] = clock.split(':').map(Number);
  return week.plus({ days: day }).set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
};

/** A medium laptop ticket opened Wednesday 09:00 whose ladder pages on-call after 60 resolution minutes. */
async function pagedTicket(week: DateTime) {
  await h.skipTo(at(week, 2, '09:00'));
  const handle = await h.open({
    category: 'it-laptop',
    priority: 'medium',
    adjust: (config) => {
      for (const policy of config.slaPolicies ?? []) if (policy.priority === 'medium') policy.ladder = [{ afterMinutes: 60, action: 'page_oncall', clock: 'resolution' }];
    },
  });
  return { handle, number: (await h.view(handle)).number };
}

/** Skips past the page (10:00), then returns the recorded page and the escalation event that says what became of it. */
async function page(number: number) {
  await h.skipTo(new Date((await h.env.currentTimeMs()) + 61 * 60_000));
  const escalation = await waitUntil(
    `ticket ${number}'s page_oncall escalation to be recorded with its result`,
    async () => (await h.events(number)).find((e) => e.type === 'escalation' && e.data.action === 'page_oncall'),
    (e) => e !== undefined,
    { timeoutMs: 30_000 },
  );
  const pages = await h.db.models.OncallPage.findAll({ where: { ticket_number: number } });
  expect(pages).toHaveLength(1);
  const id = pages[0]!.get('id') as string;
  expect(escalation!.data.result).toBe(`paged on-call: 1 lead(s) notified, webhook delivery ${oncallPageWorkflowId(id)}`);
  return { id, delivery: h.env.client.workflow.getHandle<typeof oncallPageWorkflow>(oncallPageWorkflowId(id)) };
}

describe('the on-call webhook', () => {
  test('when the webhook answers, then the page is posted once with its id as idempotency key', async () => {
    webhook.up();
    const { number } = await pagedTicket(await h.nextCleanWeek());
    const before = webhook.refused();
    const { id, delivery } = await page(number);
    expect(await within('the page delivery to finish', delivery.result(), 30_000)).toEqual({ status: 202 });
    expect(webhook.accepted().get(id)).toBe(1);
    expect(webhook.refused()).toBe(before);
  });

  test('when the webhook fails every attempt, then the ticket is not held, the retries stop after 8 attempts and the delivery says it gave up; the page and the leads\' notice stay', async () => {
    webhook.down(503);
    try {
      const { handle, number } = await pagedTicket(await h.nextCleanWeek());
      const before = webhook.refused();
      const { id, delivery } = await page(number);
      // While the webhook keeps failing, the ticket takes and projects changes as usual.
      const emma = await h.actor('emma');
      const answered = await within('a reply to be answered while the webhook fails', handle.executeUpdate(replyUpdate, { args: [{ actor: emma, body: 'Any news?', visibility: 'public' }] }), 20_000);
      expect(answered.projectedVersion).toBe(answered.version);
      // Past the delivery's retry budget (8 attempts, 10 minutes at most).
      await h.skipTo(new Date((await h.env.currentTimeMs()) + 30 * 60_000));
      const failure = await within('the page delivery to give up', delivery.result().then(() => undefined, (err: unknown) => err), 30_000);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause?.message).toBe('The on-call webhook never took the page: on-call webhook answered 503');
      expect(webhook.refused() - before).toBe(8);
      expect(webhook.accepted().has(id)).toBe(false);
      expect(await h.db.models.Notification.count({ where: { ticket_number: number, kind: 'page' } })).toBeGreaterThanOrEqual(1);
    } finally {
      webhook.up();
    }
  });

  test('when the webhook refuses the page with a 4xx, then it is not retried and the delivery says so', async () => {
    webhook.down(400);
    try {
      const { number } = await pagedTicket(await h.nextCleanWeek());
      const before = webhook.refused();
      const { delivery } = await page(number);
      const failure = await within('the page delivery to give up', delivery.result().then(() => undefined, (err: unknown) => err), 30_000);
      expect((failure as WorkflowFailedError).cause?.message).toBe('The on-call webhook never took the page: on-call webhook refused the page with 400');
      expect(webhook.refused() - before).toBe(1);
    } finally {
      webhook.up();
    }
  });
});
