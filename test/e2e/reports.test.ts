import fs from 'node:fs';
import Papa from 'papaparse';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../support/stack';
import { apiClient, eventually, launch, mainNavLink, screenshot, signIn, type Session } from './lead-admin-kit';

/**
 * The reports page as Lee Lead sees it in Chromium, against the whole stack: a ticket
 * resolved in the test leaves the backlog and counts as met in the compliance chart,
 * and every "Download CSV" holds exactly the rows the chart's data table shows.
 */

let stack: Stack;
let browser: Browser;
let session: Session | undefined;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
  api = apiClient(stack);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

afterEach(async () => {
  await session?.context.close();
  session = undefined;
});

type Row = Record<string, string>;

async function reportJson(name: string, query: string): Promise<Row[]> {
  const response = await api.call<{ columns: string[]; rows: unknown[][] }>('GET', `/reports/${name}?${query}`, 'lee');
  expect(response.status).toBe(200);
  const { columns, rows } = response.body.data;
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, String(r[i] ?? '')])));
}

/** The data table of a report section as text rows (header names excluded). */
async function tableRows(page: Page, report: string): Promise<string[][]> {
  const section = page.getByTestId(`report-${report}`);
  return section.getByTestId('report-row').evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? '').trim())));
}

async function download(page: Page, testId: string): Promise<string[][]> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const text = fs.readFileSync((await file.path())!, 'utf8');
  return Papa.parse<string[]>(text.trim()).data;
}

async function raiseLaptopRequest(title: string): Promise<number> {
  const categories = await api.call<{ categories: Array<{ id: number; code: string }> }>('GET', '/catalog', 'emma');
  const laptop = categories.body.data.categories.find((c) => c.code === 'it-laptop')!;
  const created = await api.call<{ number: number }>('POST', '/tickets', 'emma', { title, description: 'For the reports test', categoryId: laptop.id, priority: 'critical' });
  expect(created.status).toBe(201);
  return created.body.data.number;
}

test('when Lee resolves a ticket, then the reports count it out of the backlog and as met in SLA compliance, and each CSV holds exactly the chart rows', async () => {
  // Arrange: what the team's reports say before, then one ticket resolved after a reply and one left open.
  const teams = await api.call<Array<{ id: number; code: string }>>('GET', '/teams', 'lee');
  const desk = teams.body.data.find((t) => t.code === 'it-service-desk')!;
  const today = new Date().toISOString().slice(0, 10);
  const apiQuery = `teamId=${desk.id}&period=day&from=${encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString())}`;
  const criticalBacklog = async () => Number((await reportJson('backlog', apiQuery)).find((r) => r.priority === 'critical')?.total ?? 0);
  const todayCompliance = async () => (await reportJson('sla-compliance', apiQuery)).find((r) => r.period === today && r.team === 'IT Service Desk');
  const backlogBefore = await criticalBacklog();
  const resolvedBefore = Number((await todayCompliance())?.resolution_met ?? 0);

  const resolved = await raiseLaptopRequest('Reports: resolved laptop');
  const open = await raiseLaptopRequest('Reports: open laptop');
  expect((await api.call('POST', `/tickets/${resolved}/messages`, 'lee', { body: 'Looking at it now', visibility: 'public' })).status).toBe(201);
  await eventually(`ticket #${resolved} to be resolvable (assigned by round robin)`, async () => {
    const detail = await api.call<{ version: number; status: string }>('GET', `/tickets/${resolved}`, 'lee');
    if (detail.body.data.status !== 'assigned') return undefined;
    const done = await api.call('POST', `/tickets/${resolved}/actions/resolve`, 'lee', { resolution: 'Replaced the laptop', expectedVersion: detail.body.data.version });
    return done.status === 200 ? true : undefined;
  });

  // Act: Lee opens the reports from the navigation and filters to his team and the last 7 days.
  session = await signIn(browser, stack, 'Lee');
  const { page } = session;
  await mainNavLink(page, 'Reports').click();
  await page.waitForURL((url) => url.pathname === '/reports');
  await page.getByRole('combobox', { name: 'Team' }).selectOption(String(desk.id));
  await page.getByRole('combobox', { name: 'Period' }).selectOption('7d');
  await page.getByRole('combobox', { name: 'Group by' }).selectOption('day');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL((url) => url.searchParams.get('team') === String(desk.id) && url.searchParams.get('range') === '7d');

  // Assert: the resolved ticket has left the backlog (only the open one was added) ...
  const backlog = await tableRows(page, 'backlog');
  const critical = backlog.find((r) => r[0] === 'critical');
  expect(critical?.[6]).toBe(String(backlogBefore + 1));
  expect(await criticalBacklog()).toBe(backlogBefore + 1);
  // ... and counts as a resolution within target today for the Service Desk.
  const compliance = await tableRows(page, 'sla-compliance');
  const todayRow = compliance.find((r) => r[0] === today && r[1] === 'IT Service Desk');
  expect(todayRow).toBeDefined();
  expect(Number(todayRow![5])).toBe(resolvedBefore + 1);
  expect(Number(todayRow![3])).toBeGreaterThanOrEqual(1);

  // Every chart is drawn, and its CSV holds exactly its table's rows.
  for (const report of ['backlog', 'sla-compliance', 'volume', 'agent-workload']) {
    const section = page.getByTestId(`report-${report}`);
    const box = await section.locator('canvas').first().boundingBox();
    expect(box && box.width > 100 && box.height > 100).toBe(true);
    const csv = await download(page, `download-${report}`);
    expect(csv.slice(1)).toEqual(await tableRows(page, report));
  }

  // The ticket export carries the same filters: the Service Desk's tickets, both of ours among them.
  const tickets = await download(page, 'download-tickets');
  const header = tickets[0]!;
  const numbers = tickets.slice(1).map((r) => Number(r[header.indexOf('number')]));
  expect(numbers).toEqual(expect.arrayContaining([resolved, open]));
  expect(new Set(tickets.slice(1).map((r) => r[header.indexOf('teamName')]))).toEqual(new Set(['IT Service Desk']));

  await page.locator('details.report-data').first().evaluate((d) => d.setAttribute('open', ''));
  await screenshot(page, 'reports-desktop', true);
}, 240_000);

test('when a notification reloads the page while Lee is choosing filters, then the period he chose is what the filter shows', async () => {
  session = await signIn(browser, stack, 'Lee');
  const { page } = session;
  await mainNavLink(page, 'Reports').click();
  await page.waitForURL((url) => url.pathname === '/reports');
  await page.getByRole('combobox', { name: 'Period' }).selectOption('7d');
  await page.getByRole('combobox', { name: 'Group by' }).selectOption('month');

  // A ticket for his team notifies Lee: the bell's refresh reloads the page's data with it
  // (the page's load reads the layout's), and the bell's new count shows it has been rendered.
  const bell = page.locator('.bell-button');
  const before = await bell.getAttribute('aria-label');
  await raiseLaptopRequest('Reports: a notice while filtering');
  await page.locator('.bell-button').and(page.locator(`:not([aria-label="${before}"])`)).waitFor();

  expect(await page.getByRole('combobox', { name: 'Period' }).inputValue()).toBe('7d');
  expect(await page.getByRole('combobox', { name: 'Group by' }).inputValue()).toBe('month');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL((url) => url.searchParams.get('range') === '7d' && url.searchParams.get('period') === 'month');
}, 120_000);

test('when the reports are opened on a 320 px phone in the dark theme, then nothing overflows sideways and the charts fit', async () => {
  session = await signIn(browser, stack, 'Lee', { width: 320, colorScheme: 'dark' });
  const { page } = session;
  await page.goto(`${stack.webUrl}/reports?range=30d`);
  await page.getByTestId('report-backlog').waitFor();

  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow).toBeLessThanOrEqual(0);
  for (const canvas of await page.locator('canvas').all()) {
    const box = (await canvas.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(320);
    expect(box.width).toBeGreaterThan(200);
  }
  await screenshot(page, 'reports-phone-dark', true);
}, 120_000);

test('when a custom period is given the wrong way round, then the reports show the days between the two dates instead of an error page', async () => {
  session = await signIn(browser, stack, 'Lee');
  const { page } = session;
  const response = await page.goto(`${stack.webUrl}/reports?range=custom&from=2026-03-10&to=2026-03-01`);
  expect(response?.status()).toBe(200);
  await page.getByTestId('report-backlog').waitFor();
  expect({ from: await page.locator('input[name="from"]').inputValue(), to: await page.locator('input[name="to"]').inputValue() }).toEqual({ from: '2026-03-01', to: '2026-03-10' });
}, 120_000);

// Lee reads a ticket's conversation as the people on it do: the reply someone waits for is the newest one.
test('when a ticket has more messages than the page shows, then it shows the latest ones, the newest included, and says how many there are', async () => {
  const number = await raiseLaptopRequest('A long conversation');
  for (let i = 1; i <= 203; i++) {
    const reply = await api.call('POST', `/tickets/${number}/messages`, 'emma', { body: `Message ${i}`, visibility: 'public' });
    expect(reply.status).toBe(201);
  }
  session = await signIn(browser, stack, 'Lee');
  const { page } = session;
  await page.goto(`${stack.webUrl}/tickets/${number}`);
  const messages = page.getByTestId('message');
  await messages.last().waitFor();
  expect(await messages.count()).toBe(200);
  expect(await messages.last().textContent()).toContain('Message 203');
  expect(await page.getByTestId('messages-shown').textContent()).toContain('latest 200 of 203');
  expect(await page.getByTestId('events-shown').textContent()).toMatch(/latest 200 of \d+ events/);
}, 240_000);

test('when a list is opened past its last page, then it says the list is not empty and leads to the last page', async () => {
  await raiseLaptopRequest('One of Emma\'s tickets');
  session = await signIn(browser, stack, 'Emma');
  const { page } = session;
  await page.goto(`${stack.webUrl}/tickets?page=50`);
  const notice = page.getByTestId('empty-page');
  await notice.waitFor();
  expect(await page.getByTestId('empty-list').count()).toBe(0);
  await notice.getByRole('link', { name: 'Go to the last page' }).click();
  await page.getByTestId('ticket-row').first().waitFor();
}, 120_000);

test('when a requester opens the reports, then the portal refuses and the navigation never offered them', async () => {
  session = await signIn(browser, stack, 'Emma');
  const { page } = session;
  expect(await mainNavLink(page, 'Reports').count()).toBe(0);
  const response = await page.goto(`${stack.webUrl}/reports`);
  expect(response?.status()).toBe(403);
}, 120_000);
