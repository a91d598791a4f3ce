import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { browserTest, numberOf, openPortal, shot, ticketPath, type Portal } from './kit';

/**
 * The story, end to end in Chromium: Emma asks to buy something for 2,500 with a
 * quote attached; Mark (her manager) and Carla (head of Finance) approve from their
 * queues; Fiona in Accounts Payable takes it, writes an internal note and a public reply,
 * resolves; Emma, whose page stays open, sees it resolved without reloading and reopens;
 * Fiona resolves again. Emma never sees the internal note.
 */

let portal: Portal;
const open: Page[] = [];

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

const status = (page: Page) => page.getByTestId('ticket-status').getAttribute('data-status');

/** Waits, without reloading, until the page shows the ticket in this status; fails naming it. */
async function untilStatus(page: Page, expected: string, timeout = 60_000): Promise<void> {
  await page
    .locator(`[data-testid="ticket-status"][data-status="${expected}"]`)
    .waitFor({ timeout })
    .catch(async () => {
      throw new Error(`the page never showed status "${expected}" without a reload (it shows "${await status(page)}")`);
    });
}

async function approveFromQueue(who: string, number: number, title: string, expectChain: RegExp, screen: string): Promise<void> {
  const page = await as(who);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals', exact: true }).click();
  const row = page.locator(`[data-testid="approval-row"][data-ticket-number="${number}"]`);
  await row.waitFor();
  expect(await row.textContent()).toContain(title);
  expect(await row.getByTestId('chain-text').textContent()).toMatch(expectChain);
  await shot(page, screen);
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  // The result shows without a reload: the notice says so and the row leaves the queue.
  await page.getByTestId('decision-notice').filter({ hasText: `#${number}` }).waitFor();
  await row.waitFor({ state: 'detached' });
  await page.context().close();
}

browserTest('the purchase request story: submit with a file, two approvals, internal note and reply, live resolve, reopen, resolve again', () => open, async () => {
  const title = `Standing desks for the analysts ${crypto.randomUUID().slice(0, 6)}`;
  const quote = path.join(os.tmpdir(), `quote-${crypto.randomUUID().slice(0, 6)}.pdf`);
  fs.writeFileSync(quote, '%PDF-1.4\n% A quote from Acme for four standing desks\n');

  // Emma raises the request through the guided form, with the required fields and the quote.
  const emma = await as('Emma');
  await emma.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New ticket', exact: true }).click();
  await emma.getByRole('combobox', { name: 'Department' }).selectOption({ label: 'Finance' });
  await emma.getByRole('combobox', { name: 'Category', exact: true }).selectOption({ label: 'Purchase request' });
  // The required custom field is checked where it is, before anything is sent.
  const amount = emma.getByRole('spinbutton', { name: 'Amount (EUR)' });
  await amount.focus();
  await amount.blur();
  await emma.locator('#cf-amount-error').waitFor();
  await amount.fill('2500');
  await emma.getByRole('textbox', { name: 'Vendor' }).fill('Acme Office');
  await emma.getByRole('textbox', { name: 'Title' }).fill(title);
  await emma.getByRole('textbox', { name: 'Description' }).fill('Four standing desks for the analysts who joined this month.');
  await emma.getByLabel('Attachments').setInputFiles(quote);
  await shot(emma, 'create-desktop');
  await emma.getByRole('button', { name: 'Submit ticket' }).click();
  await emma.waitForURL((url) => ticketPath.test(url.pathname), { timeout: 60_000 });
  const number = numberOf(emma);
  await untilStatus(emma, 'pending_approval');
  const file = emma.getByTestId('attachment').filter({ hasText: path.basename(quote) });
  await file.waitFor();
  expect(await file.getAttribute('data-visibility')).toBe('public');

  // Mark, her manager, then Carla, head of Finance, approve from their queues.
  await approveFromQueue('Mark', number, title, /Step 1 of 2/, 'approvals-desktop');
  await approveFromQueue('Carla', number, title, /Step 2 of 2/, 'approvals-second-step');
  await untilStatus(emma, 'new');

  // Fiona in Accounts Payable takes it, notes internally, replies publicly and resolves.
  const fiona = await as('Fiona');
  await fiona.goto(`${portal.stack.webUrl}/tickets/${number}`);
  const actions = fiona.getByTestId('actions');
  await actions.locator('summary', { hasText: 'Assign' }).click();
  await actions.getByRole('combobox', { name: 'Assign to' }).selectOption({ label: 'Fiona Finance' });
  await actions.locator('[data-action="assign"]').getByRole('button', { name: 'Assign' }).click();
  await untilStatus(fiona, 'assigned');
  await actions.getByRole('button', { name: 'Start work' }).click();
  await untilStatus(fiona, 'in_progress');

  const note = 'Budget line 4711 confirmed with controlling.';
  await fiona.getByRole('checkbox', { name: 'Internal note' }).check();
  await fiona.getByRole('textbox', { name: 'Internal note' }).fill(note);
  await fiona.getByRole('button', { name: 'Add internal note' }).click();
  await fiona.getByTestId('message').filter({ hasText: note }).waitFor();
  expect(await fiona.getByTestId('message').filter({ hasText: note }).getAttribute('data-visibility')).toBe('internal');
  const reply = 'The desks are ordered and arrive on Thursday.';
  await fiona.getByRole('textbox', { name: 'Your reply' }).fill(reply);
  await fiona.getByRole('button', { name: 'Send reply' }).click();
  await fiona.getByTestId('message').filter({ hasText: reply }).waitFor();
  await shot(fiona, 'ticket-agent-desktop');
  await actions.locator('summary', { hasText: 'Resolve' }).click();
  await actions.getByRole('textbox', { name: 'Resolution' }).fill('Ordered from Acme Office, PO 2026-118.');
  await actions.locator('[data-action="resolve"]').getByRole('button', { name: 'Resolve' }).click();
  await untilStatus(fiona, 'resolved');

  // Emma's page, open all along, shows the resolution and the reply without a reload, never the note.
  await untilStatus(emma, 'resolved');
  await emma.getByTestId('message').filter({ hasText: reply }).waitFor();
  expect(await emma.getByText(note).count()).toBe(0);
  await emma.getByTestId('waiting-on-you').waitFor();
  await shot(emma, 'ticket-requester-desktop');

  // She reopens; Fiona's open page follows, and she resolves again.
  const emmaActions = emma.getByTestId('actions');
  await emmaActions.locator('summary', { hasText: 'Reopen' }).click();
  await emmaActions.getByRole('textbox', { name: 'Reason' }).fill('Only three desks arrived.');
  await emmaActions.locator('[data-action="reopen"]').getByRole('button', { name: 'Reopen' }).click();
  await untilStatus(emma, 'in_progress');
  await untilStatus(fiona, 'in_progress');
  await actions.locator('summary', { hasText: 'Resolve' }).click();
  await actions.getByRole('textbox', { name: 'Resolution' }).fill('The fourth desk was delivered this morning.');
  await actions.locator('[data-action="resolve"]').getByRole('button', { name: 'Resolve' }).click();
  await untilStatus(emma, 'resolved');
  expect(await emma.getByTestId('timeline').locator('[data-event-type="reopen"]').count()).toBeGreaterThanOrEqual(1);
});
