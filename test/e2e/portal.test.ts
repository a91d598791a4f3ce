import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startStack, type Stack } from '../support/stack';

/**
 * The portal in Debian's Chromium against the whole stack as `npm start` runs it:
 * the real local issuer's login page, the API, the workflows and the built portal.
 */

const ARTIFACTS = path.resolve(__dirname, '..', '..', '.test-artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

beforeEach(async () => {
  // A fresh context per test: no cookies or storage carried from one test to the next.
  context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

afterEach(async () => {
  await context?.close();
});

/** A browser test that leaves a screenshot of the page in .test-artifacts/ when it fails. */
function browserTest(name: string, body: () => Promise<void>, timeout = 120_000): void {
  test(
    name,
    async () => {
      try {
        await body();
      } catch (err) {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        const file = path.join(ARTIFACTS, `portal-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        throw err;
      }
    },
    timeout,
  );
}

const onPortal = (pathname: string | RegExp) => (url: URL) =>
  url.origin === new URL(stack.webUrl).origin && (typeof pathname === 'string' ? url.pathname === pathname : pathname.test(url.pathname));

async function signInAs(who: string): Promise<void> {
  await page.goto(stack.webUrl);
  // The button stays disabled until the page is interactive; click() waits for it.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === new URL(stack.issuerUrl).origin);
  await page.getByRole('button', { name: who }).click();
  await page.waitForURL(onPortal('/tickets'), { timeout: 60_000 });
}

function mainNavLink(name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/** Whatever the chosen category requires beyond title and description, filled with plausible values. */
async function fillRequiredCustomFields(): Promise<void> {
  for (const field of await page.locator('fieldset.subform [required]').all()) {
    const tag = await field.evaluate((el) => el.tagName.toLowerCase());
    const type = await field.getAttribute('type');
    if (tag === 'select') {
      const value = await field.locator('option:not([value=""])').first().getAttribute('value');
      await field.selectOption(value!);
    } else if (type === 'date') {
      await field.fill('2027-03-01');
    } else if (type === 'number') {
      await field.fill('100');
    } else {
      await field.fill('Filled in by the browser test');
    }
  }
}

browserTest('when nobody is signed in and the ticket list is opened, then the landing page offers to sign in', async () => {
  const response = await page.goto(`${stack.webUrl}/tickets`);

  expect(response?.ok()).toBe(true);
  expect(new URL(page.url()).pathname).toBe('/');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Durable Ticketing');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
});

browserTest('when Emma signs in and submits a laptop request, then its page shows number and status and My tickets lists it', async () => {
  // Arrange
  const title = `Laptop for a new analyst ${crypto.randomUUID().slice(0, 8)}`;
  await signInAs('Emma');
  expect(await page.getByTestId('current-user').textContent()).toContain('Emma Employee');

  // Act: raise the ticket through the guided form
  await mainNavLink('New ticket').click();
  await page.waitForURL(onPortal('/tickets/new'));
  await page.getByRole('combobox', { name: 'Department' }).selectOption({ label: 'IT' });
  await page.getByRole('combobox', { name: 'Category', exact: true }).selectOption({ label: 'Hardware' });
  await page.getByRole('combobox', { name: 'Subcategory' }).selectOption({ label: 'Laptop request' });
  await fillRequiredCustomFields();
  await page.getByRole('textbox', { name: 'Title' }).fill(title);
  await page.getByRole('textbox', { name: 'Description' }).fill('Our new analyst starts on Monday and needs a standard laptop.');
  await page.getByRole('button', { name: 'Submit ticket' }).click();
  await page.waitForURL(onPortal(/^\/tickets\/\d+$/), { timeout: 60_000 });

  // Assert: the detail page
  const number = new URL(page.url()).pathname.split('/').pop()!;
  expect(await page.getByTestId('ticket-number').textContent()).toBe(`#${number}`);
  expect(await page.getByTestId('ticket-title').textContent()).toBe(title);
  const status = page.getByTestId('ticket-status');
  const statusValue = await status.getAttribute('data-status');
  // A fresh laptop request is either taken by the Service Desk's round robin (a member on shift) or
  // waits in its queue (nobody on shift at this hour); nothing else, and the label says which.
  const labels: Record<string, string> = { assigned: 'Assigned', new: 'New' };
  expect(Object.keys(labels)).toContain(statusValue);
  expect((await status.textContent())?.trim()).toBe(labels[statusValue!]);
  expect(await page.getByTestId('timeline').locator('[data-event-type="created"]').count()).toBe(1);

  // Act: back to the list
  await mainNavLink('My tickets').click();
  await page.waitForURL(onPortal('/tickets'));

  // Assert: listed once, with the same status
  const row = page.getByTestId('ticket-row').filter({ hasText: title });
  await row.first().waitFor();
  expect(await row.count()).toBe(1);
  expect(await row.getAttribute('data-ticket-number')).toBe(number);
  expect(await row.locator('[data-status]').getAttribute('data-status')).toBe(statusValue);
});

browserTest('when a signed-in person opens a ticket number that does not exist, then the portal answers with its not-found page', async () => {
  await signInAs('Emma');

  const response = await page.goto(`${stack.webUrl}/tickets/987654321`);

  expect(response?.status()).toBe(404);
  await page.getByTestId('error-page').waitFor();
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
});

browserTest('when Emma raises a purchase request and Mark approves it from his queue, then the ticket shows the approval complete', async () => {
  // Arrange: Emma raises a purchase small enough for her manager alone to approve
  const title = `Monitors for the finance team ${crypto.randomUUID().slice(0, 8)}`;
  await signInAs('Emma');
  await mainNavLink('New ticket').click();
  await page.waitForURL(onPortal('/tickets/new'));
  await page.getByRole('combobox', { name: 'Department' }).selectOption({ label: 'Finance' });
  await page.getByRole('combobox', { name: 'Category', exact: true }).selectOption({ label: 'Purchase request' });
  await page.getByRole('spinbutton', { name: 'Amount' }).fill('500');
  await page.getByRole('textbox', { name: 'Vendor' }).fill('Acme');
  await page.getByRole('textbox', { name: 'Title' }).fill(title);
  await page.getByRole('textbox', { name: 'Description' }).fill('Two monitors for the new analysts.');
  await page.getByRole('button', { name: 'Submit ticket' }).click();
  await page.waitForURL(onPortal(/^\/tickets\/\d+$/), { timeout: 60_000 });
  const number = new URL(page.url()).pathname.split('/').pop()!;

  expect(await page.getByTestId('ticket-status').getAttribute('data-status')).toBe('pending_approval');
  expect(await page.getByTestId('approval-outcome').getAttribute('data-outcome')).toBe('pending');
  // Nobody approves their own request: Emma is shown the chain, not the buttons.
  expect(await page.getByTestId('approval-actions').count()).toBe(0);

  // Act: Mark, her manager, signs in on another browser and approves from his queue
  await context.close();
  context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await signInAs('Mark');
  await mainNavLink('Approvals').click();
  await page.waitForURL(onPortal('/approvals'));
  const row = page.getByTestId('approval-row').filter({ hasText: title });
  await row.waitFor();
  expect(await row.getAttribute('data-ticket-number')).toBe(number);
  expect(await row.textContent()).toContain('Emma Employee');
  await row.getByRole('link').click();
  await page.waitForURL(onPortal(`/tickets/${number}`));
  await page.getByTestId('approval-actions').getByRole('button', { name: 'Approve', exact: true }).click();

  // Assert: the chain is complete and the ticket has moved on to be worked
  await page.locator('[data-testid="approval-outcome"][data-outcome="approved"]').waitFor();
  expect(await page.getByTestId('approval-step').getAttribute('data-status')).toBe('done');
  expect(await page.getByTestId('ticket-status').getAttribute('data-status')).not.toBe('pending_approval');
  expect(await page.getByTestId('approval-actions').count()).toBe(0);
  expect(await page.getByTestId('timeline').locator('[data-event-type="approval_approved"]').count()).toBe(1);
});

browserTest('when the ticket reloads while Emma is half-way through the Cancel form, then the form stays open with her reason and cancels with it', async () => {
  // Arrange: Emma's own ticket, which she may cancel giving a reason
  const title = `Docking station ${crypto.randomUUID().slice(0, 8)}`;
  await signInAs('Emma');
  await mainNavLink('New ticket').click();
  await page.waitForURL(onPortal('/tickets/new'));
  await page.getByRole('combobox', { name: 'Department' }).selectOption({ label: 'IT' });
  await page.getByRole('combobox', { name: 'Category', exact: true }).selectOption({ label: 'Hardware' });
  await page.getByRole('combobox', { name: 'Subcategory' }).selectOption({ label: 'Laptop request' });
  await fillRequiredCustomFields();
  await page.getByRole('textbox', { name: 'Title' }).fill(title);
  await page.getByRole('textbox', { name: 'Description' }).fill('A docking station for the second desk.');
  await page.getByRole('button', { name: 'Submit ticket' }).click();
  await page.waitForURL(onPortal(/^\/tickets\/\d+$/), { timeout: 60_000 });
  const cancel = page.getByTestId('actions').locator('[data-action="cancel"]');
  await cancel.locator('summary').click();
  const reason = 'Found a spare one in the store room.';
  await cancel.getByRole('textbox', { name: 'Reason' }).fill(reason);

  // Act: the ticket changes under the open form (her reply reloads the page's data, and the live feed does again once it is projected)
  const reply = 'Could it come with a USB-C cable?';
  await page.getByRole('textbox', { name: 'Your reply' }).fill(reply);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.getByTestId('message').filter({ hasText: reply }).waitFor();

  // Assert: the form is still open with what she typed, and submitting it cancels with that reason
  expect(await cancel.locator('details').getAttribute('open')).not.toBeNull();
  expect(await cancel.getByRole('textbox', { name: 'Reason' }).inputValue()).toBe(reason);
  await cancel.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page.locator('[data-testid="ticket-status"][data-status="cancelled"]').waitFor();
  await page.getByTestId('timeline').locator('[data-event-type="cancel"]').filter({ hasText: reason }).waitFor();
});
