import crypto from 'node:crypto';
import type { Page } from 'playwright-core';
import type { DemoUserKey } from '../support/demo-accounts';
import { axeProblems, browserTest, openPortal, shot, type Portal } from './kit';

/**
 * Each role's desk in Chromium, through the real login: bulk approval, an out-of-office
 * delegate approving, what a requester may never see, a 320 px phone keeping every action
 * in reach, and an axe scan (no serious or critical violation) of every page, with a
 * screenshot of each at desktop and phone width.
 */

let portal: Portal;
const open: Page[] = [];
let purchase: number;
let payroll: number;

beforeAll(async () => {
  portal = await openPortal();
  const catalog = (await portal.api('emma', 'GET', '/catalog')).body.data as { categories: Array<{ id: number; code: string }> };
  purchase = catalog.categories.find((c) => c.code === 'fin-purchase')!.id;
  payroll = catalog.categories.find((c) => c.code === 'hr-payroll')!.id;
}, 240_000);

afterAll(async () => {
  await portal?.close();
}, 60_000);

async function as(who: string, width?: number): Promise<Page> {
  const page = await portal.signIn(who, width);
  open.push(page);
  return page;
}

async function raise(who: DemoUserKey, body: Record<string, unknown>): Promise<number> {
  const response = await portal.api(who, 'POST', '/tickets', body, { 'Idempotency-Key': crypto.randomUUID() });
  expect(response.status).toBe(201);
  return response.body.data.number;
}
const raisePurchase = (title: string, amount: number) =>
  raise('emma', { title, description: 'Routine office purchase.', categoryId: purchase, customFields: { amount, vendor: 'Acme Office' } });

/** Waits on the API until the ticket reaches a state; fails saying which it awaited. */
async function until(number: number, what: string, done: (t: { status: string; approval: { outcome: string } | null }) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = (await portal.api('ada', 'GET', `/tickets/${number}`)).body.data;
    if (done(last as never)) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`#${number} never reached "${what}" within ${timeoutMs} ms; last seen ${JSON.stringify(last).slice(0, 300)}`);
}

async function waitForRow(page: Page, number: number): Promise<void> {
  // The queue is read from the projection; a freshly raised request may take a moment to reach it.
  const deadline = Date.now() + 60_000;
  const row = page.locator(`[data-testid="approval-row"][data-ticket-number="${number}"]`);
  while ((await row.count()) === 0) {
    if (Date.now() > deadline) throw new Error(`#${number} never appeared in the approval queue`);
    await page.waitForTimeout(1000);
    await page.reload();
  }
}

browserTest('when Mark ticks three routine purchases and approves them together, then each reports approved', () => open, async () => {
  const numbers = await Promise.all([1, 2, 3].map((n) => raisePurchase(`Printer paper batch ${n} ${crypto.randomUUID().slice(0, 4)}`, 120 + n)));
  const mark = await as('Mark');
  await mark.goto(`${portal.stack.webUrl}/approvals`);
  for (const number of numbers) await waitForRow(mark, number);

  for (const number of numbers) await mark.locator(`[data-testid="approval-row"][data-ticket-number="${number}"] input[name="pick"]`).check();
  await mark.getByRole('button', { name: 'Approve selected' }).click();

  const outcome = mark.getByTestId('bulk-outcome');
  await outcome.waitFor();
  for (const number of numbers) expect(await outcome.locator(`[data-testid="bulk-result"][data-ticket-number="${number}"]`).getAttribute('data-status')).toBe('200');
  await shot(mark, 'approvals-bulk-desktop');
  for (const number of numbers) await until(number, 'approved', (t) => t.approval?.outcome === 'approved');
});

browserTest('when Mark hands his approvals to Dana for his time away, then Dana approves his step from her queue, and Mark can revoke it', () => open, async () => {
  const mark = await as('Mark');
  await mark.goto(`${portal.stack.webUrl}/out-of-office`);
  await mark.getByRole('searchbox', { name: 'Delegate' }).fill('Dana');
  await mark.getByRole('button', { name: /Dana Director/ }).click();
  const today = new Date().toISOString().slice(0, 10);
  const later = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  await mark.getByLabel('First day away').fill(today);
  await mark.getByLabel('Last day away').fill(later);
  await mark.getByRole('button', { name: 'Save delegation' }).click();
  const delegation = mark.getByTestId('delegation').filter({ hasText: 'Dana Director' });
  await delegation.waitFor();
  await shot(mark, 'out-of-office-desktop');

  const number = await raisePurchase(`Conference tickets ${crypto.randomUUID().slice(0, 6)}`, 400);
  const dana = await as('Dana');
  await dana.goto(`${portal.stack.webUrl}/approvals`);
  await waitForRow(dana, number);
  const row = dana.locator(`[data-testid="approval-row"][data-ticket-number="${number}"]`);
  expect(await row.textContent()).toContain('You stand in for another approver');
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  await dana.getByTestId('decision-notice').filter({ hasText: `#${number}` }).waitFor();
  await until(number, 'approved by the delegate', (t) => t.approval?.outcome === 'approved');

  await delegation.getByRole('button', { name: /Revoke/ }).click();
  await delegation.waitFor({ state: 'detached' });
  expect((await portal.api('mark', 'GET', '/approvals/delegations')).body.data).toHaveLength(0);
});

browserTest('when an agent notes internally and attaches an internal file, then the requester sees neither, and another employee cannot open the ticket', () => open, async () => {
  const number = await raise('emma', { title: `Overtime missing ${crypto.randomUUID().slice(0, 6)}`, description: 'October overtime is not on my payslip.', categoryId: payroll });
  const secret = 'Payroll run 10 failed for three people; escalate to the vendor.';
  expect((await portal.api('harper', 'POST', `/tickets/${number}/messages`, { body: secret, visibility: 'internal' })).status).toBe(201);
  const form = new FormData();
  form.append('visibility', 'internal');
  form.append('file', new Blob(['vendor case notes\n'], { type: 'text/plain' }), 'vendor-case.txt');
  expect((await portal.api('harper', 'POST', `/tickets/${number}/attachments`, form)).status).toBe(201);
  expect((await portal.api('harper', 'POST', `/tickets/${number}/messages`, { body: 'We found the cause and are fixing it.', visibility: 'public' })).status).toBe(201);

  const harper = await as('Harper');
  await harper.goto(`${portal.stack.webUrl}/tickets/${number}`);
  await harper.getByTestId('message').filter({ hasText: secret }).waitFor();
  await harper.getByTestId('attachment').filter({ hasText: 'vendor-case.txt' }).waitFor();
  await harper.getByTestId('tab-internal').click();
  expect(await harper.getByTestId('message').count()).toBe(1);
  await shot(harper, 'ticket-internal-tab-desktop');

  const emma = await as('Emma');
  await emma.goto(`${portal.stack.webUrl}/tickets/${number}`);
  await emma.getByTestId('message').filter({ hasText: 'We found the cause' }).waitFor();
  expect(await emma.getByText(secret).count()).toBe(0);
  expect(await emma.getByText('vendor-case.txt').count()).toBe(0);
  expect(await emma.getByTestId('tab-internal').count()).toBe(0);
  const direct = await emma.request.get(`${portal.stack.webUrl}/tickets/${number}/files/${(await portal.api('harper', 'GET', `/tickets/${number}/attachments`)).body.data[0].id}`);
  expect(direct.status()).toBe(404);

  const priya = await as('Priya');
  const response = await priya.goto(`${portal.stack.webUrl}/tickets/${number}`);
  expect(response?.status()).toBe(404);
  expect(await priya.getByText('Overtime missing').count()).toBe(0);
});

browserTest('when Emma uses a 320 px phone, then the menu, the bell and every action on her ticket are in reach without sideways scrolling', () => open, async () => {
  const number = await raise('emma', { title: `Payslip question ${crypto.randomUUID().slice(0, 6)}`, description: 'Which tax class is on my payslip?', categoryId: payroll });
  const emma = await as('Emma', 320);
  await emma.goto(`${portal.stack.webUrl}/tickets/${number}`);
  await emma.getByTestId('actions').waitFor();
  const overflow = () => emma.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;
  expect(await overflow()).toBeLessThanOrEqual(0);

  const controls = emma.locator('[data-testid="actions"] summary, [data-testid="actions"] button, [data-testid="reply-form"] button, [data-testid="watchers"] button');
  expect(await controls.count()).toBeGreaterThan(2);
  for (const control of await controls.all()) {
    if (!(await control.isVisible())) continue;
    await control.scrollIntoViewIfNeeded();
    const box = (await control.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(320);
  }
  await shot(emma, 'ticket-requester-phone');

  await emma.getByRole('button', { name: 'Menu' }).click();
  const nav = emma.getByRole('navigation', { name: 'Main' });
  for (const name of ['My tickets', 'New ticket', 'Approvals', 'Out of office']) expect(await nav.getByRole('link', { name, exact: true }).isVisible()).toBe(true);
  await emma.getByTestId('bell').click();
  await emma.getByTestId('bell-panel').waitFor();
  expect(await overflow()).toBeLessThanOrEqual(0);
  await shot(emma, 'menu-and-bell-phone');
});

const PAGES: Array<{ who: string; path: string | ((n: number) => string); name: string }> = [
  { who: 'Emma', path: '/tickets', name: 'my-tickets' },
  { who: 'Emma', path: '/tickets/new', name: 'new-ticket' },
  { who: 'Emma', path: (n) => `/tickets/${n}`, name: 'ticket-requester' },
  { who: 'Emma', path: '/notifications', name: 'notifications' },
  { who: 'Mark', path: '/approvals', name: 'approvals' },
  { who: 'Mark', path: '/out-of-office', name: 'out-of-office' },
  { who: 'Harper', path: '/work', name: 'my-work' },
  { who: 'Harper', path: '/tickets?scope=team', name: 'team-queue' },
  { who: 'Harper', path: (n) => `/tickets/${n}`, name: 'ticket-agent' }
];

browserTest('when axe scans every page of the daily desk at desktop and phone width, then it finds no serious or critical violation', () => open, async () => {
  const number = await raise('emma', { title: `Bonus not paid ${crypto.randomUUID().slice(0, 6)}`, description: 'The Q3 bonus is missing.', categoryId: payroll });
  await raisePurchase(`Whiteboard ${crypto.randomUUID().slice(0, 6)}`, 90);
  expect((await portal.api('harper', 'POST', `/tickets/${number}/messages`, { body: 'Checking with payroll.', visibility: 'internal' })).status).toBe(201);
  const problems: string[] = [];

  const landing = await portal.browser.newPage();
  open.push(landing);
  await landing.goto(portal.stack.webUrl);
  problems.push(...(await axeProblems(landing)).map((p) => `landing: ${p}`));
  await shot(landing, 'landing-desktop');

  for (const width of [1280, 375]) {
    const pages = new Map<string, Page>();
    for (const entry of PAGES) {
      if (!pages.has(entry.who)) pages.set(entry.who, await as(entry.who, width));
      const page = pages.get(entry.who)!;
      const target = typeof entry.path === 'string' ? entry.path : entry.path(number);
      const response = await page.goto(`${portal.stack.webUrl}${target}`);
      expect(response?.ok()).toBe(true);
      await page.locator('main h1').first().waitFor();
      const label = `${entry.name}-${width < 600 ? 'phone' : 'desktop'}`;
      problems.push(...(await axeProblems(page)).map((p) => `${label}: ${p}`));
      await shot(page, label);
    }
    const emma = pages.get('Emma')!;
    await emma.getByTestId('bell').click();
    await emma.getByTestId('bell-panel').waitFor();
    problems.push(...(await axeProblems(emma)).map((p) => `bell: ${p}`));
    for (const page of pages.values()) await page.context().close();
  }

  expect(problems).toEqual([]);
}, 420_000);
