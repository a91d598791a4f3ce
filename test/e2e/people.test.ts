import crypto from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../support/stack';
import { apiClient, hydrated, launch, mainNavLink, screenshot, signIn, type Session } from './lead-admin-kit';

/**
 * The People page in Chromium against the whole stack (SCIM on): Ada finds a person, changes
 * their manager and roles, sees what the identity provider owns as read-only with the reason,
 * and a stale edit says the person changed.
 */

const SCIM_TOKEN = crypto.randomBytes(24).toString('hex');
let stack: Stack;
let browser: Browser;
let session: Session | undefined;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  // The stack's API reads SCIM_TOKEN from the environment it inherits (scripts/stack.ts).
  process.env.SCIM_TOKEN = SCIM_TOKEN;
  stack = await startStack();
  browser = await launch();
  api = apiClient(stack);
}, 240_000);

afterAll(async () => {
  delete process.env.SCIM_TOKEN;
  await browser?.close();
  await stack?.stop();
}, 60_000);

afterEach(async () => {
  await session?.context.close();
  session = undefined;
});

async function openPeople(page: Page, search: string): Promise<void> {
  await mainNavLink(page, 'People').click();
  // From a person's page the path is already /admin/people: wait for the address to lose the old
  // search and for the box to be emptied by that navigation, or typing races the reset.
  await page.waitForURL((url) => url.pathname === '/admin/people' && url.search === '');
  await hydrated(page);
  await page.waitForFunction(`document.getElementById('q')?.value === ''`);
  await page.getByLabel('Search by name or email').fill(search);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL((url) => url.searchParams.get('q') === search);
}

test('Ada finds Emma, gives her a new manager and the agent role; a SCIM person shows the owned fields read-only and why; a stale edit says the person changed', async () => {
  const find = async (q: string, name: string) => (await api.call<Array<{ id: number; name: string }>>('GET', `/admin/people?q=${q}`, 'ada')).body.data.find((p) => p.name === name)!;
  const emma = await find('Emma', 'Emma Employee');
  const carla = await find('Carla', 'Carla CFO');

  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await openPeople(page, 'Emma');
  await page.getByRole('link', { name: 'Emma Employee', exact: true }).click();
  await page.getByLabel('Manager id').fill(String(carla.id));
  await page.getByRole('checkbox', { name: 'agent' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const saved = (await api.call<{ managerId: number; roles: string[]; version: number }>('GET', `/admin/people/${emma.id}`, 'ada')).body.data;
  expect(saved.managerId).toBe(carla.id);
  expect(saved.roles).toEqual(expect.arrayContaining(['requester', 'agent']));

  // Someone else changes Emma while this form (now at the saved version) is open: saving again is refused.
  await page.reload();
  const other = await api.call('PATCH', `/admin/people/${emma.id}`, 'ada', { expectedVersion: saved.version, vip: true });
  expect(other.status).toBe(200);
  await page.getByLabel('Location').fill('Hamburg');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: 'changed since version' }).waitFor();
  await screenshot(page, 'admin-people-stale');
  expect((await api.call<{ location: string | null }>('GET', `/admin/people/${emma.id}`, 'ada')).body.data.location).not.toBe('Hamburg');

  // A person the identity provider owns.
  const scimUrl = stack.apiUrl.replace(/\/api\/v1$/, '/scim/v2');
  const created = await fetch(`${scimUrl}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'quinn.scim@example.com', displayName: 'Quinn Scim', emails: [{ value: 'quinn.scim@example.com' }] }),
  });
  expect(created.status).toBe(201);
  await openPeople(page, 'Quinn');
  await page.getByRole('link', { name: 'Quinn Scim', exact: true }).click();
  await page.getByRole('note').filter({ hasText: 'provisioned by the identity provider (SCIM)' }).waitFor();
  expect(await page.getByLabel('Manager id').getAttribute('readonly')).not.toBeNull();
  await page.getByText('(from the identity provider)').first().waitFor();
  await screenshot(page, 'admin-people-scim');
});
