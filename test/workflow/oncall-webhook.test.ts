import type { DateTime } from 'luxon';
import { startWebhookTarget, type WebhookTarget } from '../../scripts/chaos/webhook-target';
import { startTimeSkipping, type TimeSkippingHarness } from '../support/time-skipping';
import { waitUntil } from '../support/wait';

/**
 * The on-call webhook (ONCALL_WEBHOOK_URL) behind a `page_oncall` escalation: posted once with the
 * page id as idempotency key; a 5xx is retried (bounded) and, if it never recovers, recorded as a
 * failed escalation while the page stays recorded and the team's leads are still told; a 4xx is not
 * retried. Time skipping fires the ladder and the retries' backoff without waiting for them.
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

async function pageEscalation(number: number) {
  return waitUntil(
    `ticket ${number}'s page_oncall escalation to be recorded with its result`,
    async () => (await h.events(number)).find((e) => e.type === 'escalation' && e.data.action === 'page_oncall'),
    (e) => e !== undefined,
    { timeoutMs: 30_000 },
  );
}

describe('the on-call webhook', () => {
  test('when the webhook answers, then the page is posted once with its id as idempotency key and the escalation says so', async () => {
    webhook.up();
    const { number } = await pagedTicket(await h.nextCleanWeek());
    const before = webhook.refused();
    await h.skipTo(new Date((await h.env.currentTimeMs()) + 2 * 3600_000));
    const escalation = await pageEscalation(number);
    expect(escalation!.data.result).toBe('paged on-call: 1 lead(s) notified, webhook 202');
    const pages = await h.db.models.OncallPage.findAll({ where: { ticket_number: number } });
    expect(pages).toHaveLength(1);
    expect(webhook.accepted().get(pages[0]!.get('id') as string)).toBe(1);
    expect(webhook.refused()).toBe(before);
  });

  test('when the webhook fails every attempt, then the retries stop, the escalation is recorded as failed, the page and the leads\' notice stay, and the ticket goes on', async () => {
    webhook.down(503);
    try {
      const { handle, number } = await pagedTicket(await h.nextCleanWeek());
      const before = webhook.refused();
      // Past the page (10:00) and past its retry budget (8 attempts, 10 minutes at most).
      await h.skipTo(new Date((await h.env.currentTimeMs()) + 3 * 3600_000));
      const escalation = await pageEscalation(number);
      expect(escalation!.data.result).toBe('failed: on-call webhook answered 503');
      expect(webhook.refused() - before).toBe(8);
      const pages = await h.db.models.OncallPage.findAll({ where: { ticket_number: number } });
      expect(pages).toHaveLength(1);
      expect(webhook.accepted().has(pages[0]!.get('id') as string)).toBe(false);
      expect(await h.db.models.Notification.count({ where: { ticket_number: number, kind: 'page' } })).toBeGreaterThanOrEqual(1);
      // The ticket is not held by the dead webhook: it still answers and projects.
      const view = await h.view(handle);
      expect(view.projectedVersion).toBe(view.version);
    } finally {
      webhook.up();
    }
  });

  test('when the webhook refuses the page with a 4xx, then it is not retried and the escalation is recorded as failed', async () => {
    webhook.down(400);
    try {
      const { number } = await pagedTicket(await h.nextCleanWeek());
      const before = webhook.refused();
      await h.skipTo(new Date((await h.env.currentTimeMs()) + 2 * 3600_000));
      const escalation = await pageEscalation(number);
      expect(escalation!.data.result).toBe('failed: on-call webhook refused the page with 400');
      expect(webhook.refused() - before).toBe(1);
    } finally {
      webhook.up();
    }
  });
});
