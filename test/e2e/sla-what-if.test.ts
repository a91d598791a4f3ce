import type { Browser } from 'playwright-core';
import { Op } from 'sequelize';
import { startStack, type Stack } from '../support/stack';
import { TICKETS } from '../unit/fixtures/what-if-tickets';
import { apiClient, hydrated, launch, mainNavLink, screenshot, signIn, type Session } from './lead-admin-kit';

/**
 * "Preview impact" in the admin console, in Chromium against the whole stack: the unit
 * fixture's recorded tickets sit in the read tables (numbers 9001…), Ada edits IT's medium
 * policy to a shorter first-response target without saving it and sees the replay stream in, the two
 * columns, and exactly #9004 gaining a breach, linked to its ticket page.
 */
let stack: Stack;
let browser: Browser;
let session: Session | undefined;
const OFFSET = 9000;

beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
  const { models } = stack.db;
  const requester = await models.User.findOne({ where: { email: 'emma@example.com' } });
  const category = await models.Category.findOne({ where: { code: 'it-laptop' } });
  for (const t of TICKETS) {
    const created = t.events[0]!.occurredAt;
    await models.Ticket.create({
      number: OFFSET + t.number, workflow_id: `ticket-${OFFSET + t.number}`, title: `Recorded #${t.number}`, description: 'fixture', status: 'resolved',
      priority: String(t.events[0]!.data.priority), channel: 'portal', category_id: category!.get('id'), department_id: 1, team_id: 1,
      requester_id: requester!.get('id'), custom_fields: {}, seq: t.events.length, created_at: created, updated_at: created,
    });
    await models.TicketEvent.bulkCreate(
      t.events.map((e) => ({
        ticket_number: OFFSET + t.number, seq: e.seq, type: e.type, actor_id: e.actorId === t.requesterId ? requester!.get('id') : e.actorId,
        from_status: e.fromStatus, to_status: e.toStatus, data: e.data, occurred_at: e.occurredAt, visibility: 'public',
      })),
    );
  }
}, 240_000);

afterAll(async () => {
  await session?.context.close();
  await browser?.close();
  await stack?.stop();
}, 60_000);

test('when Ada previews a 60-minute first response for IT medium tickets, then the replay streams in and exactly #9004 gains a breach, linked', async () => {
  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await mainNavLink(page, 'Admin').click();
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'SLA policies', exact: true }).click();
  const medium = page.getByTestId('sla-row').filter({ hasText: 'medium' }).first();
  await medium.getByRole('link').first().click();
  await page.waitForURL((url) => /^\/admin\/sla-policies\/\d+$/.test(url.pathname));
  await hydrated(page);
  const policyId = Number(new URL(page.url()).pathname.split('/').pop());
  const storedTarget = async () => (await stack.db.models.SlaPolicy.findByPk(policyId))!.get('first_response_minutes');
  const targetBefore = await storedTarget();
  expect(targetBefore).not.toBe(60);
  // The draft is the editor's own form: previewing it saves nothing.
  await page.getByLabel('First response (minutes)').fill('60');
  const draft = page.getByTestId('what-if');
  await draft.getByTestId('what-if-toggle').click();
  // The fixture's tickets are from November 2026.
  await draft.getByTestId('what-if-days').selectOption('365');
  await draft.getByTestId('what-if-run').click();
  await draft.getByTestId('what-if-progress').filter({ hasText: 'done' }).waitFor();
  await screenshot(page, 'admin-sla-what-if', true);

  await expect(draft.getByTestId('today-first-response').textContent()).resolves.toBe('75.0 %');
  await expect(draft.getByTestId('draft-first-response').textContent()).resolves.toBe('66.7 %');
  const gained = draft.getByTestId('what-if-gained').getByRole('link');
  await expect(gained.allTextContents()).resolves.toEqual([`#${OFFSET + 4}`]);
  await expect(gained.first().getAttribute('href')).resolves.toBe(`/tickets/${OFFSET + 4}`);
  await expect(draft.getByTestId('what-if-lost').getByRole('link').count()).resolves.toBe(0);

  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'admin-sla-what-if-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  const download = page.waitForEvent('download');
  await draft.getByTestId('what-if-csv').click();
  expect((await download).suggestedFilename()).toBe('sla-what-if.csv');
  expect(await storedTarget()).toBe(targetBefore);
});

test('when Ada drafts a holiday in the Berlin calendar, then the preview lists the tickets leaving breach', async () => {
  await session?.context.close();
  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await mainNavLink(page, 'Admin').click();
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Calendars', exact: true }).click();
  await page.getByRole('link', { name: 'Berlin office hours', exact: true }).click();
  await page.waitForURL((url) => /^\/admin\/calendars\/\d+$/.test(url.pathname));
  await hydrated(page);
  await page.getByRole('button', { name: 'Add holiday' }).click();
  const row = page.getByTestId('holiday').last();
  await row.getByLabel('Date').fill('2026-11-04');
  await row.getByLabel('Name').fill('Strike day');
  const panel = page.getByTestId('what-if');
  await panel.getByTestId('what-if-toggle').click();
  await panel.getByTestId('what-if-days').selectOption('365');
  await panel.getByTestId('what-if-run').click();
  await panel.getByTestId('what-if-progress').filter({ hasText: 'done' }).waitFor();
  await expect(panel.getByTestId('what-if-lost').getByRole('link').allTextContents()).resolves.toEqual([`#${OFFSET + 3}`]);

  // Narrowed to another team, none of the recorded tickets (all team 1's) is replayed.
  const otherTeam = await stack.db.models.Team.findOne({ where: { id: { [Op.ne]: 1 } } });
  await panel.getByLabel('Team').selectOption(String(otherTeam!.get('id')));
  await panel.getByTestId('what-if-run').click();
  await panel.getByTestId('what-if-progress').filter({ hasText: '0 of 0 tickets replayed — done' }).waitFor();
  await expect(panel.getByTestId('what-if-lost').getByRole('link').count()).resolves.toBe(0);
});

test('when Emma and then the agent open a ticket that waited on her, then each sees how its deadlines were worked out, the counted minutes adding up to the time spent', async () => {
  await session?.context.close();
  const api = apiClient(stack);
  const laptop = (await stack.db.models.Category.findOne({ where: { code: 'it-laptop' } }))!.get('id');
  const created = await api.call<{ number: number }>('POST', '/tickets', 'emma', { title: 'Screen flickers', description: 'Since this morning', categoryId: laptop, priority: 'high' });
  expect(created.status).toBe(201);
  const number = created.body.data.number;
  expect((await api.call('POST', `/tickets/${number}/actions/start`, 'ada', {})).status).toBe(200);
  expect((await api.call('POST', `/tickets/${number}/actions/wait_on_requester`, 'ada', { reason: 'Which screen?' })).status).toBe(200);
  expect((await api.call('POST', `/tickets/${number}/actions/resume`, 'ada', {})).status).toBe(200);

  for (const who of ['Emma', 'Ada'] as const) {
    session = await signIn(browser, stack, who);
    const { page } = session;
    await page.goto(`${stack.webUrl}/tickets/${number}`);
    await hydrated(page);
    const steps = page.getByTestId('sla-steps');
    await steps.getByText('How the deadlines were worked out').click();
    // Started, paused waiting on the requester, resumed: at least those three steps, each with its reason in words.
    expect(await steps.getByTestId('sla-step').count()).toBeGreaterThanOrEqual(3);
    await steps.getByTestId('sla-step').filter({ hasText: /waiting on requester/i }).first().waitFor();
    // "<sum of the counted column> = <spent> min": the steps add up to the time spent.
    const total = (await steps.getByTestId('sla-total-resolution').textContent())!;
    const [, counted, spent] = /^([\d.]+) = ([\d.]+) min/.exec(total.trim())!;
    expect(Number(counted)).toBeCloseTo(Number(spent), 1);
    if (who === 'Emma') {
      await screenshot(page, 'ticket-deadline-steps', true);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, 'ticket-deadline-steps-phone');
    }
    await session.context.close();
    session = undefined;
  }
});
