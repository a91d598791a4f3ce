import crypto from 'node:crypto';
import fs from 'node:fs';
import Papa from 'papaparse';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../support/stack';
import { launch, mainNavLink, screenshot, signIn, type Session } from './lead-admin-kit';

/**
 * The CSV import page in Chromium against the whole stack, as Lee Lead: a header
 * mistake is shown before anything is sent, a file with one bad row imports the
 * others, the bad row's error names its column, and the errors CSV says the same.
 */

let stack: Stack;
let browser: Browser;
let session: Session | undefined;

beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

afterEach(async () => {
  await session?.context.close();
  session = undefined;
});

const csvFile = (name: string, rows: string[][]) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(Papa.unparse(rows)) });

test('when Lee imports a CSV with one bad row, then the others become tickets, the bad row shows its column and the errors CSV says the same', async () => {
  const run = crypto.randomUUID().slice(0, 8);
  session = await signIn(browser, stack, 'Lee');
  const { page } = session;
  await mainNavLink(page, 'Imports').click();
  await page.waitForURL((url) => url.pathname === '/imports');
  await page.getByTestId('imports-empty').waitFor();
  const fileInput = page.getByLabel('CSV file', { exact: true });
  const start = page.getByRole('button', { name: 'Start import' });

  // A header without the requester column is caught before any upload.
  await fileInput.setInputFiles(csvFile('broken.csv', [['external_id', 'title', 'description', 'category'], ['A-1', 'T', 'D', 'hr-payroll']]));
  await page.locator('[data-testid="preview-problem"][data-column="requester_email"]').waitFor();
  expect(await start.isDisabled()).toBe(true);
  await screenshot(page, 'imports-preview-problem');

  // The real file: three rows, the second for somebody the directory does not know.
  const rows = [
    ['external_id', 'requester_email', 'title', 'description', 'category', 'priority'],
    [`${run}-1`, 'emma@example.com', `Imported payslip question ${run}`, 'From the old system', 'hr-payroll', 'P3'],
    [`${run}-2`, 'ghost@example.com', `Imported ghost ${run}`, 'Nobody by that address', 'hr-payroll', 'low'],
    [`${run}-3`, 'priya@example.com', `Imported bonus question ${run}`, 'From the old system', 'Payroll question', ''],
  ];
  await fileInput.setInputFiles(csvFile(`legacy-${run}.csv`, rows));
  // The browser reads and parses the file after the input changes: wait for this file's preview.
  await page.getByTestId('import-preview').locator('tbody tr').filter({ hasText: `${run}-3` }).waitFor();
  expect(await page.getByTestId('import-preview').locator('tbody tr').count()).toBe(3);
  await page.getByTestId('preview-problems').waitFor({ state: 'detached' });
  await start.click();

  // The import page follows the run live until it ends.
  await page.waitForURL((url) => /^\/imports\/[0-9a-f-]{36}$/.test(url.pathname), { timeout: 60_000 });
  await page.locator('[data-testid="import-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
  const total = async (name: string) => (await page.locator(`[data-total="${name}"]`).textContent())?.trim();
  expect(await total('rows')).toBe('3');
  expect(await total('created')).toBe('2');
  expect(await total('failed')).toBe('1');

  const error = page.getByTestId('row-error');
  expect(await error.count()).toBe(1);
  expect(await error.getAttribute('data-row')).toBe('2');
  expect(await error.getAttribute('data-column')).toBe('requester_email');
  const shown = (await error.locator('td').allTextContents()).map((t) => t.trim());
  await screenshot(page, 'import-result', true);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-import-errors').click()]);
  const errorsCsv = Papa.parse<string[]>(fs.readFileSync((await download.path())!, 'utf8').trim()).data;
  // The page's cells after the row number: external id, column, message; the CSV holds the same.
  expect(shown.slice(0, 2)).toEqual([`${run}-2`, 'requester_email']);
  expect(errorsCsv).toEqual([['row', 'external_id', 'column', 'message'], ['2', ...shown]]);

  // The list of past imports holds it with its outcome.
  await page.getByRole('link', { name: 'All imports' }).click();
  const listed = page.getByTestId('import-row').filter({ hasText: `legacy-${run}.csv` });
  await listed.waitFor();
  expect(await listed.locator('[data-status]').getAttribute('data-status')).toBe('completed');
  await screenshot(page, 'imports', true);
}, 240_000);

test('when a requester opens the imports, then the portal refuses and the navigation never offered them', async () => {
  session = await signIn(browser, stack, 'Emma');
  expect(await mainNavLink(session.page, 'Imports').count()).toBe(0);
  const response = await session.page.goto(`${stack.webUrl}/imports`);
  expect(response?.status()).toBe(403);
}, 120_000);
