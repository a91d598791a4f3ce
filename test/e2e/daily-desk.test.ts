import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { raiseDemoTickets } from '../../scripts/demo-tickets';
import { axeProblems, browserTest, openPortal, shot, visit, type Portal } from './kit';

/**
 * The daily desk as each role finds it after a fresh `npm start`: the demo tickets walked
 * through their states, an agent's team queue (saved filters, quick and bulk changes), the
 * composer's @mention suggestions, bulk approval, a delegate approving for someone out of
 * office, a requester kept out of other people's tickets, every main page at 320 px and
 * under axe. The best screenshots go to docs/screenshots.
 */

let portal: Portal;
const open: Page[] = [];
const DOCS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

beforeAll(async () => {
  portal = await openPortal();
}, 240_000);

afterAll(async () => {
  await portal?.close();
}, 60_000);

async function as(who: string, width?: number): Promise<Page> {
  const page = await portal.signIn(who, width);
  open.push(page);
  return page;
}

async function docShot(page: Page, name: string): Promise<void> {
  await shot(page, name);
  fs.mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: path.join(DOCS, `${name}.png`), fullPage: true });
}

const key = () => ({ 'Idempotency-Key': crypto.randomUUID() });
async function categoryId(code: string): Promise<number> {
  const { body } = await portal.api('ada', 'GET', '/catalog');
  return body.data.categories.find((c: { code: string }) => c.code === code).id;
}
async function raise(who: 'emma' | 'harper' | 'priya', code: string, title: string, customFields: Record<string, unknown> = {}): Promise<number> {
  const { status, body } = await portal.api(who, 'POST', '/tickets', { title, description: title, categoryId: await categoryId(code), customFields }, key());
  expect(status).toBe(201);
  return body.data.number;
}
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
const ticket = async (number: number) => (await portal.api('ada', 'GET', `/tickets/${number}`)).body.data;

browserTest('when the stack is fresh, then the demo tickets are raised through the API and walked to every realistic state', () => open, async () => {
  const said: string[] = [];
  const count = await raiseDemoTickets({ apiUrl: portal.stack.apiUrl, issuerUrl: portal.stack.issuerUrl, webUrl: portal.stack.webUrl, say: (m) => said.push(m) });
  expect(said).toEqual([]);
  expect(count).toBeGreaterThanOrEqual(25);
  const { body } = await portal.api('ada', 'GET', '/tickets?scope=all&limit=100');
  const statuses = new Set(body.data.map((t: { status: string }) => t.status));
  for (const s of ['pending_approval', 'new', 'in_progress', 'waiting_on_requester', 'waiting_on_vendor', 'resolved', 'closed', 'rejected', 'cancelled']) expect(statuses).toContain(s);

  // Every role finds a desk that is not empty.
  const alex = await as('Alex');
  await visit(alex, `${portal.stack.webUrl}/work`);
  await alex.getByTestId('work-assigned').waitFor();
  await docShot(alex, 'desk-agent-my-work');
  const mark = await as('Mark');
  await visit(mark, `${portal.stack.webUrl}/approvals`);
  await mark.getByTestId('approval-row').first().waitFor();
  await docShot(mark, 'desk-approver-queue');
  const emma = await as('Emma');
  await emma.getByTestId('ticket-row').first().waitFor();
  await docShot(emma, 'desk-employee-my-tickets');
}, 600_000);

browserTest('when an agent saves a filter, assigns one ticket from its row and re-prioritises two at once, then each change and each outcome shows without opening a ticket', () => open, async () => {
  const first = await raise('emma', 'it-software', `Visio licence ${crypto.randomUUID().slice(0, 6)}`, { software: 'Visio' });
  const second = await raise('emma', 'it-software', `Project licence ${crypto.randomUUID().slice(0, 6)}`, { software: 'Project' });
  await until(() => Promise.all([ticket(first), ticket(second)]), (ts) => ts.every((t) => t.teamId !== null), 'routing');

  const lee = await as('Lee');
  await visit(lee, `${portal.stack.webUrl}/tickets?scope=team&q=licence&sort=created_desc`);
  const saved = lee.getByTestId('saved-filters');
  await saved.getByRole('textbox', { name: 'Save these filters as' }).fill('Licences');
  await saved.getByRole('button', { name: 'Save', exact: true }).click();
  await lee.getByTestId('saved-notice').waitFor();
  await visit(lee, `${portal.stack.webUrl}/tickets?scope=team`);
  await lee.getByTestId('saved-filter').filter({ hasText: 'Licences' }).getByRole('link').click();
  await lee.waitForURL((url) => url.searchParams.get('q') === 'licence');
  await lee.locator(`[data-testid="ticket-row"][data-ticket-number="${first}"]`).waitFor();

  // Quick assign from the row.
  const row = lee.locator(`[data-testid="ticket-row"][data-ticket-number="${first}"]`);
  await row.locator('summary').click();
  await row.getByRole('combobox', { name: 'Assign to' }).selectOption({ label: 'Sam Support' });
  await row.getByRole('button', { name: 'Assign', exact: true }).click();
  await row.getByTestId('quick-done').waitFor();
  await until(() => ticket(first), (t) => t.assigneeName === 'Sam Support', 'the quick assignment');

  // Bulk: set both to high, with the reason the timeline records.
  for (const n of [first, second]) await lee.locator(`[data-testid="ticket-row"][data-ticket-number="${n}"]`).getByTestId('pick').check();
  const bulk = lee.getByTestId('bulk-change');
  await bulk.getByRole('combobox', { name: 'Change' }).selectOption('set_priority');
  await bulk.getByRole('combobox', { name: 'Priority' }).selectOption('high');
  await bulk.getByRole('textbox', { name: 'Why' }).fill('Needed for the audit next week');
  await bulk.getByRole('button', { name: 'Change ticked tickets' }).click();
  const outcome = lee.getByTestId('bulk-outcome');
  await outcome.waitFor();
  for (const n of [first, second]) expect(await outcome.locator(`[data-ticket-number="${n}"]`).getAttribute('data-status')).toBe('200');
  await until(() => Promise.all([ticket(first), ticket(second)]), (ts) => ts.every((t) => t.priority === 'high'), 'the bulk priority');
  await docShot(lee, 'desk-team-queue-bulk');
  expect(await axeProblems(lee)).toEqual([]);

  // Deleting the saved filter removes it.
  await lee.getByTestId('saved-filter').filter({ hasText: 'Licences' }).getByRole('button', { name: /Delete/ }).click();
  await lee.getByTestId('saved-filter').filter({ hasText: 'Licences' }).waitFor({ state: 'detached' });
});

browserTest('when an agent types @ and part of a name in an internal note, then only colleagues who read internal notes are offered and Enter writes the mention', () => open, async () => {
  const number = await raise('emma', 'it-software', 'Mention me', { software: 'Teams' });
  await until(() => ticket(number), (t) => t.teamId !== null, 'routing');
  const alex = await as('Alex');
  await visit(alex, `${portal.stack.webUrl}/tickets/${number}`);
  await alex.getByRole('checkbox', { name: 'Internal note' }).check();
  const box = alex.getByRole('textbox', { name: 'Internal note' });
  await box.pressSequentially('Please have a look @sa');
  const offered = alex.getByTestId('mention-suggestions');
  await offered.getByRole('button', { name: /Sam Support/ }).waitFor();
  await box.press('Enter');
  expect(await box.inputValue()).toBe('Please have a look @sam@example.com ');
  // Emma may see the ticket but not internal notes: never offered for one.
  await box.pressSequentially('and @emm');
  await alex.waitForTimeout(800);
  expect(await offered.getByRole('button', { name: /Emma/ }).count()).toBe(0);
  await alex.getByRole('checkbox', { name: 'Internal note' }).uncheck();
  await alex.getByTestId('mention-suggestions').getByRole('button', { name: /Emma Employee/ }).waitFor();
  await docShot(alex, 'desk-mention-suggestions');
  expect(await axeProblems(alex)).toEqual([]);
});

browserTest('when Mark ticks two routine requests and approves them together, then each reports approved and both move on', () => open, async () => {
  const a = await raise('emma', 'fin-purchase', `Stapler ${crypto.randomUUID().slice(0, 6)}`, { amount: 40, vendor: 'Office Co' });
  const b = await raise('emma', 'fin-purchase', `Paper ${crypto.randomUUID().slice(0, 6)}`, { amount: 60, vendor: 'Office Co' });
  const mark = await as('Mark');
  await visit(mark, `${portal.stack.webUrl}/approvals`);
  for (const n of [a, b]) {
    const row = mark.locator(`[data-testid="approval-row"][data-ticket-number="${n}"]`);
    await row.waitFor({ timeout: 60_000 }).catch(async () => {
      await mark.reload();
      await row.waitFor();
    });
    await row.getByRole('checkbox').check();
  }
  await mark.getByRole('button', { name: 'Approve selected' }).click();
  const outcome = mark.getByTestId('bulk-outcome');
  await outcome.waitFor();
  for (const n of [a, b]) expect(await outcome.locator(`[data-ticket-number="${n}"]`).getAttribute('data-status')).toBe('200');
  await until(() => Promise.all([ticket(a), ticket(b)]), (ts) => ts.every((t) => t.status !== 'pending_approval'), 'both approvals');
});

browserTest('when Hannah hands her approvals to Dana on the out-of-office page, then Dana approves Harper\'s request from her own queue', () => open, async () => {
  const hannah = await as('Hannah');
  await visit(hannah, `${portal.stack.webUrl}/out-of-office`);
  await hannah.getByRole('searchbox', { name: 'Delegate' }).fill('Dana');
  await hannah.getByRole('button', { name: /Dana Director/ }).click();
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  await hannah.getByLabel('Last day away').fill(inAWeek);
  await hannah.getByRole('button', { name: 'Save delegation' }).click();
  await hannah.getByTestId('delegation').filter({ hasText: 'Dana Director' }).first().waitFor();
  await docShot(hannah, 'desk-out-of-office');

  const number = await raise('harper', 'fin-purchase', `Team offsite ${crypto.randomUUID().slice(0, 6)}`, { amount: 300, vendor: 'Hotel' });
  const dana = await as('Dana');
  await visit(dana, `${portal.stack.webUrl}/approvals`);
  const row = dana.locator(`[data-testid="approval-row"][data-ticket-number="${number}"]`);
  await until(
    async () => {
      await dana.reload();
      return row.count();
    },
    (n) => n > 0,
    "the request in Dana's queue",
  );
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  await dana.getByTestId('decision-notice').filter({ hasText: `#${number}` }).waitFor();
  const decided = await until(() => ticket(number), (t) => t.status !== 'pending_approval', 'the approval');
  expect(decided.status).not.toBe('rejected');
  const { body } = await portal.api('ada', 'GET', `/tickets/${number}/events?limit=100`);
  const decision = body.data.find((e: { type: string; actorName: string }) => /approv/.test(e.type) && e.actorName === 'Dana Director');
  expect(decision).toBeTruthy();
  // The queue's decision carried an Idempotency-Key (this page's, the ticket, the step and the decision), so
  // a retry after "not confirmed" is the same Update: its id in the ticket's history says so.
  const connection = await Connection.connect({ address: portal.stack.temporalAddress });
  try {
    const history = await new Client({ connection }).workflow.getHandle(`ticket-${number}`).fetchHistory();
    const updateIds = (history.events ?? []).flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.meta.updateId] : []));
    expect(updateIds.filter((id) => id.startsWith('approve:'))).toEqual([expect.stringMatching(new RegExp(`^approve:\\d+:[0-9a-f-]{36}:${number}:\\d+:approve#[A-Za-z0-9_-]{22}$`))]);
  } finally {
    await connection.close();
  }
});

browserTest("when Priya opens Emma's ticket, then she gets the not-found page; Emma's own page shows no workflow internals", () => open, async () => {
  const number = await raise('emma', 'hr-payroll', 'Private payroll question');
  const priya = await as('Priya');
  const response = await priya.goto(`${portal.stack.webUrl}/tickets/${number}`);
  expect(response?.status()).toBe(404);
  expect(await priya.getByText('Private payroll question').count()).toBe(0);
  const emma = await as('Emma');
  await visit(emma, `${portal.stack.webUrl}/tickets/${number}`);
  await emma.getByTestId('ticket-title').waitFor();
  expect(await emma.getByTestId('live-panel').count()).toBe(0);
  expect(await emma.getByText(`ticket-${number}`).count()).toBe(0);
  const harper = await as('Harper');
  await visit(harper, `${portal.stack.webUrl}/tickets/${number}`);
  await harper.getByTestId('live-panel').waitFor();
});

browserTest('when the main pages of each role open at 320 px, then nothing overflows sideways and axe finds no serious or critical violation', () => open, async () => {
  const pages: Array<[string, string[]]> = [
    ['Emma', ['/tickets', '/tickets/new', '/approvals', '/out-of-office', '/notifications']],
    ['Lee', ['/work', '/tickets?scope=team', '/admin']],
    ['Ada', ['/admin', '/admin/people']],
  ];
  const problems: string[] = [];
  for (const [who, paths] of pages) {
    const page = await as(who, 320);
    for (const p of paths) {
      await visit(page, `${portal.stack.webUrl}${p}`);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      if (overflow > 0) problems.push(`${who} ${p}: ${overflow}px wider than the screen`);
      for (const v of await axeProblems(page)) problems.push(`${who} ${p}: ${v}`);
      await shot(page, `phone-${who.toLowerCase()}-${p.replace(/[^a-z]+/gi, '-').replace(/^-|-$/g, '') || 'home'}`);
    }
    if (who === 'Lee') {
      await visit(page, `${portal.stack.webUrl}/tickets?scope=team`);
      await docShot(page, 'desk-team-queue-phone');
    }
  }
  // A ticket page as its requester and as an agent.
  const { body } = await portal.api('emma', 'GET', '/tickets?scope=mine&limit=1');
  const number = body.data[0].number;
  for (const who of ['Emma', 'Alex']) {
    const page = await as(who, 320);
    const response = await page.goto(`${portal.stack.webUrl}/tickets/${number}`);
    if (response?.status() === 404) continue;
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    if (overflow > 0) problems.push(`${who} ticket: ${overflow}px wider than the screen`);
    for (const v of await axeProblems(page)) problems.push(`${who} ticket: ${v}`);
  }
  expect(problems).toEqual([]);
});

browserTest('when the access token is gone but the session is not over, then the portal renews it from the refresh token; without one, the person is sent to sign in', () => open, async () => {
  const emma = await as('Emma');
  const cookies = await emma.context().cookies();
  const refresh = cookies.find((c) => c.name === 'ticketing_refresh');
  expect(refresh?.httpOnly).toBe(true);
  // The session cookie ends when its access token does: dropping it is what an expired token looks like.
  const before = cookies.find((c) => c.name === 'ticketing_session')!.value;
  await emma.context().clearCookies({ name: 'ticketing_session' });
  await visit(emma, `${portal.stack.webUrl}/tickets`);
  await emma.getByRole('heading', { name: 'My tickets' }).waitFor();
  const renewed = (await emma.context().cookies()).find((c) => c.name === 'ticketing_session');
  expect(renewed?.value).toBeTruthy();
  expect(renewed?.value).not.toBe(before);
  // The spent refresh token was rotated: the cookie holds a new one, which works again.
  await emma.context().clearCookies({ name: 'ticketing_session' });
  await visit(emma, `${portal.stack.webUrl}/approvals`);
  await emma.getByRole('heading', { name: 'Approvals waiting on me' }).waitFor();

  await emma.context().clearCookies();
  await visit(emma, `${portal.stack.webUrl}/tickets`);
  await emma.getByRole('button', { name: 'Sign in' }).waitFor();
});
