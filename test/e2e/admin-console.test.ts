import crypto from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../support/stack';
import { apiClient, launch, mainNavLink, screenshot, signIn, type Session } from './lead-admin-kit';

/**
 * The admin console in Chromium against the whole stack: Ada's edits take effect on
 * what comes next (the calendar preview, the create form, the next approval chain, the
 * next ticket's routing), a stale edit says who changed it, and Lee reads but cannot change.
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

async function open(page: Page, section: string, item?: string): Promise<void> {
  await mainNavLink(page, 'Admin').click();
  await page.waitForURL((url) => url.pathname === '/admin');
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: section, exact: true }).click();
  if (item) await page.getByRole('link', { name: item, exact: true }).click();
  await page.waitForLoadState('networkidle');
}

const dayIn = (timeZone: string, iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));

test('when Ada adds a holiday on the next working day, then the preview moves past it, the save keeps it, and a stale edit says who changed the calendar', async () => {
  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await open(page, 'Calendars', 'Berlin office hours');
  await screenshot(page, 'admin-calendar');
  const zone = await page.getByLabel('Time zone (IANA)').inputValue();
  const first = () => page.getByTestId('preview-interval').first().getAttribute('data-start');
  const before = (await first())!;
  const holiday = dayIn(zone, before);

  await page.getByRole('button', { name: 'Add holiday' }).click();
  const row = page.getByTestId('holiday').last();
  await row.getByLabel('Date').fill(holiday);
  await row.getByLabel('Name').fill('Browser test day');

  // The preview follows the form at once, before anything is saved.
  await page.waitForFunction(`document.querySelector('[data-testid="preview-interval"]')?.getAttribute('data-start') !== ${JSON.stringify(before)}`);
  const after = (await first())!;
  expect(dayIn(zone, after) > holiday).toBe(true);
  await page.getByRole('button', { name: 'Save calendar' }).click();
  await page.getByTestId('saved').waitFor();
  expect(await page.getByTestId('saved').textContent()).toContain(`holiday added ${holiday} (Browser test day)`);
  await screenshot(page, 'admin-calendar-saved', true);

  // Somebody else saves meanwhile: the form on the old version is refused and says who and when.
  const calendars = await api.call<Array<{ id: number; name: string; timeZone: string; weeklyHours: unknown; holidays: unknown; version: number }>>('GET', '/admin/calendars', 'ada');
  const berlin = calendars.body.data.find((c) => c.name === 'Berlin office hours')!;
  const other = await api.call('PUT', `/admin/calendars/${berlin.id}`, 'ada', { ...berlin, id: undefined, code: undefined, published: undefined, unpublishedChanges: undefined, name: 'Berlin office', version: berlin.version });
  expect(other.status).toBe(200);
  await page.locator('#cal-name').fill('Berlin office hours (stale)');
  await page.getByRole('button', { name: 'Save calendar' }).click();
  const conflict = page.getByTestId('conflict');
  await conflict.waitFor();
  expect(await conflict.textContent()).toMatch(/changed by Ada Admin at \d{2}:\d{2} UTC — reload to see it/);
  await screenshot(page, 'admin-conflict', true);

  // The saved draft reaches no ticket until Ada publishes it; then open tickets only when she applies it.
  await page.reload();
  await page.getByTestId('unpublished').waitFor();
  await page.getByTestId('publish').click();
  await page.getByText(/^Published v\d+ \(/).waitFor();
  await page.getByTestId('apply-preview').waitFor();
  await screenshot(page, 'admin-calendar-published', true);
  if (await page.getByTestId('apply').count()) {
    await page.getByTestId('apply').click();
    await page.getByText(/^Applying v\d+ to \d+ open ticket/).waitFor();
  }
}, 240_000);

test("when Ada adds a field to a category, then the preview and Emma's create form show it", async () => {
  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await open(page, 'Categories', 'Payroll question');
  await page.getByRole('button', { name: 'Add field' }).click();
  const editor = page.getByTestId('field-editor').last();
  await editor.getByLabel('Label').fill('Employee number');
  await editor.getByLabel('Key').fill('employee_number');
  await editor.getByLabel('Required').check();
  await page.getByTestId('form-preview').getByText('Employee number').waitFor();
  await page.getByRole('button', { name: 'Save fields' }).click();
  await page.getByTestId('saved').waitFor();
  await screenshot(page, 'admin-category', true);

  const emma = await signIn(browser, stack, 'Emma');
  try {
    await mainNavLink(emma.page, 'New ticket').click();
    // The create form is guided: Emma picks the department first, as a person would, and only
    // then are that department's categories offered.
    await emma.page.getByRole('combobox', { name: 'Department' }).selectOption({ label: 'Human Resources' });
    await emma.page.getByRole('combobox', { name: 'Category', exact: true }).selectOption({ label: 'Payroll question' });
    const field = emma.page.getByRole('textbox', { name: 'Employee number' });
    await field.waitFor();
    expect(await field.getAttribute('required')).not.toBeNull();
  } finally {
    await emma.context.close();
  }
}, 240_000);

test('when Ada changes the leave approval rule, then its plain words change and the next leave request follows it', async () => {
  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await open(page, 'Categories', 'Leave request');
  // The structured form: the one step becomes the department head's, and the plain words follow.
  const step = page.getByTestId('rule-step').first();
  await step.getByLabel('Step name').fill('Department head');
  await step.getByLabel('Who approves').selectOption({ label: 'A department head' });
  expect((await page.getByTestId('rule-words').textContent())?.trim()).toBe('Always: the department head.');
  await page.getByRole('button', { name: 'Save approval rule' }).click();
  await page.getByTestId('saved').waitFor();

  const catalog = await api.call<{ categories: Array<{ id: number; code: string }> }>('GET', '/catalog', 'emma');
  const leave = catalog.body.data.categories.find((c) => c.code === 'hr-leave')!;
  const created = await api.call<{ number: number; approval: { steps: Array<{ name: string; approverIds: number[] }> } }>('POST', '/tickets', 'emma', {
    title: `Leave ${crypto.randomUUID().slice(0, 6)}`,
    description: 'A week off',
    categoryId: leave.id,
    customFields: { start_date: '2027-03-01', end_date: '2027-03-05' },
  });
  expect(created.status).toBe(201);
  const carla = (await api.call<{ id: number }>('GET', '/me', 'carla')).body.data;
  // Emma is in Finance: its head, Carla, is the one approver now (before: Mark, her manager).
  expect(created.body.data.approval.steps.map((s) => [s.name, s.approverIds])).toEqual([['Department head', [carla.id]]]);
}, 240_000);

test('when Ada moves the VIP rule above the network rule, then the next VIP laptop request about VPN goes to the Service Desk', async () => {
  const catalog = await api.call<{ categories: Array<{ id: number; code: string }> }>('GET', '/catalog', 'priya');
  const laptop = catalog.body.data.categories.find((c) => c.code === 'it-laptop')!;
  const raise = async () => {
    const created = await api.call<{ teamName: string }>('POST', '/tickets', 'priya', { title: 'Laptop will not join the VPN', description: 'Since this morning', categoryId: laptop.id });
    expect(created.status).toBe(201);
    return created.body.data.teamName;
  };
  expect(await raise()).toBe('IT Infrastructure');

  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await open(page, 'Routing');
  const vip = page.getByTestId('routing-rule').filter({ hasText: 'VIP hardware requests' });
  await vip.getByRole('button', { name: /Move up/ }).click();
  expect(await page.getByTestId('routing-rule').first().textContent()).toContain('VIP hardware requests');
  await page.getByRole('button', { name: 'Save order' }).click();
  await page.getByTestId('saved').waitFor();
  expect(await page.getByTestId('routing-rule').first().textContent()).toContain('VIP hardware requests');
  await screenshot(page, 'admin-routing', true);

  expect(await raise()).toBe('IT Service Desk');
}, 240_000);

test('when Lee opens the console, then he reads the set-up but every editor is read-only and the audit log is not offered', async () => {
  session = await signIn(browser, stack, 'Lee');
  const { page } = session;
  await open(page, 'Calendars');
  await page.getByTestId('calendar-row').first().getByRole('link').click();
  await page.getByTestId('read-only-note').waitFor();
  expect(await page.getByRole('button', { name: 'Save calendar' }).count()).toBe(0);
  expect(await page.getByLabel('Time zone (IANA)').isDisabled()).toBe(true);
  expect(await page.getByTestId('preview-interval').count()).toBeGreaterThan(0);
  expect(await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
  await screenshot(page, 'admin-lead-read-only', true);
  // On a 320 px phone the editor and its preview stack without sideways scrolling.
  await page.setViewportSize({ width: 320, height: 800 });
  expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
  await screenshot(page, 'admin-calendar-phone', true);
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Categories', exact: true }).click();
  await page.getByRole('link', { name: 'Purchase request', exact: true }).click();
  await page.getByTestId('rule-words').waitFor();
  expect(await page.getByRole('button', { name: /^Save/ }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Add field' }).count()).toBe(0);
  expect((await page.getByTestId('rule-words').textContent())?.replace(/\s+/g, ' ')).toContain('over 5,000: the requester\'s manager, then the department head, then all of the finance committee.');

  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Routing', exact: true }).click();
  await page.getByTestId('routing-rule').first().waitFor();
  expect(await page.getByRole('button', { name: /Move (up|down)/ }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Save order' }).count()).toBe(0);

  const audit = await page.goto(`${stack.webUrl}/admin/audit`);
  expect(audit?.status()).toBe(403);
}, 240_000);

test("when Ada edits a template's subject, then the preview renders it on the sample ticket and the save is kept", async () => {
  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await open(page, 'Templates');
  await page.getByRole('link', { name: 'created', exact: true }).click();
  await page.getByTestId('template-preview').waitFor();
  await page.getByLabel('Subject').fill('Ticket #{{ticket.number}} received: {{ticket.title}}');
  expect(await page.getByTestId('template-preview').textContent()).toContain('Ticket #1042 received: Laptop for a new analyst');
  await page.getByRole('button', { name: 'Save template' }).click();
  await page.getByTestId('saved').waitFor();
  const saved = await api.call<{ subject: string }>('GET', '/admin/notification-templates/created', 'ada');
  expect(saved.body.data.subject).toBe('Ticket #{{ticket.number}} received: {{ticket.title}}');
  await screenshot(page, 'admin-template', true);
}, 120_000);
