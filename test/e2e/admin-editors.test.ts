import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../support/stack';
import { axeProblems } from './kit';
import { apiClient, launch, screenshot, signIn, type Session } from './lead-admin-kit';

/**
 * The console's edit forms for SLA policies, teams and routing rules, in Chromium against
 * the whole stack: an edit is saved and still there after a reload, the API's refusal of a
 * field lands beside that field, and an edit made on a stale version says who changed it.
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

async function go(page: Page, path: string): Promise<void> {
  await page.goto(`${stack.webUrl}${path}`);
  await page.waitForLoadState('networkidle');
}

async function reload(page: Page): Promise<void> {
  await page.reload();
  await page.waitForLoadState('networkidle');
}

const staleMessage = /changed by Ada Admin at \d{2}:\d{2} UTC — reload to see it/;

interface Policy {
  id: number;
  departmentId: number;
  priority: string;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  clock: string;
  pauseStatuses: string[];
  ladder: unknown[];
  version: number;
  published: unknown;
  unpublishedChanges: boolean;
}

test('when Ada edits the Facilities critical SLA policy, then the targets and ladder are saved, a zero target is refused beside its field, and a stale edit says who changed it', async () => {
  const departments = (await api.call<Array<{ id: number; name: string }>>('GET', '/admin/departments?limit=100', 'ada')).body.data;
  const facilities = departments.find((d) => d.name === 'Facilities')!;
  const policyNow = async () => (await api.call<Policy[]>('GET', '/admin/sla-policies', 'ada')).body.data.find((p) => p.departmentId === facilities.id && p.priority === 'critical')!;
  const policy = await policyNow();

  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await go(page, '/admin/sla-policies');
  await page.getByRole('link', { name: 'critical — Facilities' }).click();
  await page.waitForURL((url) => url.pathname === `/admin/sla-policies/${policy.id}`);

  await page.getByLabel('First response (minutes)').fill('20');
  await page.getByRole('checkbox', { name: 'Waiting on vendor' }).uncheck();
  await page.getByRole('button', { name: 'Add rung' }).click();
  const rung = page.getByTestId('ladder-rung').last();
  await rung.getByLabel('After (minutes)').fill('45');
  await rung.getByLabel('Action').selectOption('page_oncall');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByTestId('saved').waitFor();
  // A save is a draft: the page offers to publish it, and tickets keep the published version meanwhile.
  expect(await page.getByTestId('saved').textContent()).toContain('Draft saved');
  await page.getByTestId(`publish-${policy.id}`).getByTestId('unpublished').waitFor();
  await screenshot(page, 'admin-sla-policy-saved', true);

  await reload(page);
  expect(await page.getByLabel('First response (minutes)').inputValue()).toBe('20');
  expect(await page.getByRole('checkbox', { name: 'Waiting on vendor' }).isChecked()).toBe(false);
  expect(await page.getByTestId('ladder-rung').count()).toBe(policy.ladder.length + 1);
  expect(await page.getByTestId('ladder-rung').last().getByLabel('Action').inputValue()).toBe('page_oncall');
  const saved = await policyNow();
  expect([saved.firstResponseMinutes, saved.version, saved.ladder.at(-1)]).toEqual([20, policy.version + 1, { afterMinutes: 45, action: 'page_oncall' }]);

  // A zero target: the API refuses it and its message sits beside the resolution input.
  await page.getByLabel('Resolution (minutes)').fill('0');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByTestId('form-error').waitFor();
  expect(await page.locator('#sla-resolution-error').textContent()).toContain('must be a positive whole number of minutes');
  expect(await page.getByLabel('Resolution (minutes)').getAttribute('aria-invalid')).toBe('true');
  expect((await policyNow()).version).toBe(saved.version);

  // Somebody else saves meanwhile: this page's version is stale.
  const { id: _id, departmentId: _d, priority: _p, published: _pub, unpublishedChanges: _u, ...rest } = saved;
  const other = await api.call('PUT', `/admin/sla-policies/${saved.id}`, 'ada', { ...rest, teamId: undefined, resolutionMinutes: 150 });
  expect(other.status).toBe(200);
  await page.getByLabel('Resolution (minutes)').fill('180');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByTestId('conflict').waitFor();
  expect(await page.getByTestId('conflict').textContent()).toMatch(staleMessage);
  expect((await policyNow()).resolutionMinutes).toBe(150);
}, 240_000);

interface Team {
  id: number;
  name: string;
  departmentId: number;
  calendarId: number | null;
  assignmentStrategy: string;
  members: Array<{ userId: number; membership: string; onShift: boolean }>;
  version: number;
}

test("when Ada edits Facilities Operations, then its strategy and Frank's membership are saved, an empty name is refused beside the field, and a stale edit says who changed it", async () => {
  const teamNow = async () => (await api.call<Team[]>('GET', '/admin/teams?limit=100', 'ada')).body.data.find((t) => t.name === 'Facilities Operations')!;
  const frank = (await api.call<{ id: number }>('GET', '/me', 'frank')).body.data;
  const team = await teamNow();

  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await go(page, '/admin/teams');
  await page.getByRole('link', { name: 'Facilities Operations', exact: true }).click();
  await page.waitForURL((url) => url.pathname === `/admin/teams/${team.id}`);

  await page.getByLabel('Assignment').selectOption('least_loaded');
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.getByTestId('saved').waitFor();

  const row = page.locator(`[data-testid="member-row"][data-user-id="${frank.id}"]`);
  await row.getByLabel('Membership').selectOption('lead');
  await row.getByLabel('On shift').uncheck();
  await row.getByRole('button', { name: /^Save/ }).click();
  await row.getByTestId('saved').waitFor();
  await screenshot(page, 'admin-team-saved', true);

  await reload(page);
  expect(await page.getByLabel('Assignment').inputValue()).toBe('least_loaded');
  expect(await row.getByLabel('Membership').inputValue()).toBe('lead');
  expect(await row.getByLabel('On shift').isChecked()).toBe(false);
  expect(await page.getByTestId('team-leads').textContent()).toContain('Frank Fixit');
  const saved = await teamNow();
  expect(saved.assignmentStrategy).toBe('least_loaded');
  expect(saved.members.find((m) => m.userId === frank.id)).toEqual({ userId: frank.id, membership: 'lead', onShift: false });

  await page.getByLabel('Name', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.getByTestId('form-error').waitFor();
  expect(await page.locator('#team-name-error').isVisible()).toBe(true);
  expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');

  // A membership change elsewhere bumps the team's version: this page's settings form is now stale.
  const other = await api.call('PUT', `/admin/teams/${saved.id}/members/${frank.id}`, 'ada', { membership: 'agent', onShift: true, expectedVersion: saved.version });
  expect(other.status).toBe(200);
  await page.getByLabel('Name', { exact: true }).fill('Facilities (stale)');
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.getByTestId('conflict').waitFor();
  expect(await page.getByTestId('conflict').textContent()).toMatch(staleMessage);
  expect((await teamNow()).name).toBe('Facilities Operations');
}, 240_000);

interface Rule {
  id: number;
  position: number;
  name: string;
  conditions: Record<string, unknown>;
  teamId: number;
  enabled: boolean;
  version: number;
}

test('when Ada creates and edits a routing rule, then it is saved and listed, a missing team is refused beside its field, and a stale edit says who changed it', async () => {
  const rules = async () => (await api.call<Rule[]>('GET', '/admin/routing-rules?limit=100', 'ada')).body.data;
  const before = await rules();

  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await go(page, '/admin/routing');
  await page.getByRole('link', { name: 'New routing rule' }).click();
  await page.waitForURL((url) => url.pathname === '/admin/routing/new');

  await page.getByLabel('Name').fill('Printers to Facilities');
  await page.getByLabel('The title or description mentions any of').fill('printer, toner');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await page.getByTestId('form-error').waitFor();
  expect(await page.locator('#rule-team-error').isVisible()).toBe(true);
  expect(await page.getByLabel('Route to team').getAttribute('aria-invalid')).toBe('true');
  expect(await rules()).toHaveLength(before.length);

  await page.getByLabel('Route to team').selectOption({ label: 'Facilities Operations' });
  expect(await page.getByTestId('rule-sentence').textContent()).toBe('When the text mentions “printer”, “toner” → Facilities Operations');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await page.waitForURL((url) => /^\/admin\/routing\/\d+$/.test(url.pathname));
  await page.getByTestId('created').waitFor();
  const created = (await rules()).find((r) => r.name === 'Printers to Facilities')!;
  expect(created.conditions).toEqual({ keywords: ['printer', 'toner'] });
  expect(created.position).toBeGreaterThan(Math.max(...before.map((r) => r.position)));

  await page.getByRole('checkbox', { name: 'Facilities', exact: true }).check();
  await page.getByRole('button', { name: 'Save rule' }).click();
  await page.getByTestId('routing-form').getByTestId('saved').waitFor();
  await reload(page);
  expect(await page.getByRole('checkbox', { name: 'Facilities', exact: true }).isChecked()).toBe(true);
  expect(await page.getByTestId('rule-sentence').textContent()).toContain('the requester is in Facilities');
  await screenshot(page, 'admin-routing-rule', true);

  await go(page, '/admin/routing');
  await page.getByTestId('routing-rule').filter({ hasText: 'Printers to Facilities' }).waitFor();
  const listed = await page.getByTestId('routing-rule').allTextContents();
  expect(listed).toHaveLength(before.length + 1);
  expect(listed.at(-1)).toContain('Printers to Facilities');

  const now = (await rules()).find((r) => r.id === created.id)!;
  const other = await api.call('PUT', `/admin/routing-rules/${now.id}`, 'ada', { name: now.name, conditions: now.conditions, teamId: now.teamId, enabled: false, expectedVersion: now.version });
  expect(other.status).toBe(200);
  await go(page, `/admin/routing/${now.id}`);
  await api.call('PUT', `/admin/routing-rules/${now.id}`, 'ada', { name: now.name, conditions: now.conditions, teamId: now.teamId, enabled: true, expectedVersion: now.version + 1 });
  await page.getByLabel('Name').fill('Printers (stale)');
  await page.getByRole('button', { name: 'Save rule' }).click();
  await page.getByTestId('conflict').waitFor();
  expect(await page.getByTestId('conflict').textContent()).toMatch(staleMessage);
}, 240_000);

test("when Ada edits the purchase approval rule in the structured form, then an escalation before the reminder is refused beside its input, a good one is saved, and a stale edit says who changed it", async () => {
  const categoryNow = async () => {
    const list = (await api.call<Array<{ id: number; code: string }>>('GET', '/admin/categories?limit=100', 'ada')).body.data;
    const id = list.find((c) => c.code === 'fin-purchase')!.id;
    return (await api.call<{ id: number; approvalRule: any; version: number }>('GET', `/admin/categories/${id}`, 'ada')).body.data;
  };
  const category = await categoryNow();

  session = await signIn(browser, stack, 'Ada');
  const { page } = session;
  await go(page, `/admin/categories/${category.id}`);
  const words = async () => (await page.getByTestId('rule-words').textContent())?.replace(/\s+/g, ' ');
  expect(await words()).toContain("over 5,000: the requester's manager, then the department head, then all of the finance committee.");
  expect(await page.getByLabel('Decided by the field').inputValue()).toBe('amount');

  // The first branch's manager step: escalating before the reminder is refused by the API, beside that input.
  const escalate = page.locator('#branch-0-0-escalate');
  await escalate.fill('4');
  await page.getByRole('button', { name: 'Save approval rule' }).click();
  await page.getByTestId('form-error').waitFor();
  const error = page.getByTestId('rule-branch').first().getByTestId('step-error');
  expect(await error.textContent()).toContain('must be later than remindAfterHours');
  expect(await escalate.getAttribute('aria-invalid')).toBe('true');

  await escalate.fill('24');
  // The third branch's committee step becomes a quorum of two: the plain words follow at once.
  const committee = page.getByTestId('rule-branch').nth(2).getByTestId('rule-step').nth(2);
  await committee.getByLabel('How many must agree').selectOption('quorum');
  await committee.getByLabel('Quorum').fill('2');
  expect(await words()).toContain('then 2 of the finance committee.');
  await page.getByRole('button', { name: 'Save approval rule' }).click();
  await page.getByTestId('saved').waitFor();
  await screenshot(page, 'admin-approval-rule-form', true);

  await reload(page);
  expect(await page.locator('#branch-0-0-escalate').inputValue()).toBe('24');
  expect(await words()).toContain('then 2 of the finance committee.');
  const saved = await categoryNow();
  expect(saved.approvalRule.branches[0].steps[0].escalateAfterHours).toBe(24);
  expect(saved.approvalRule.branches[2].steps[2]).toMatchObject({ mode: 'quorum', quorum: 2 });

  const other = await api.call('PUT', `/admin/categories/${saved.id}/approval-rule`, 'ada', { rule: saved.approvalRule, expectedVersion: saved.version });
  expect(other.status).toBe(200);
  await page.locator('#branch-0-0-remind').fill('6');
  await page.getByRole('button', { name: 'Save approval rule' }).click();
  await page.getByTestId('conflict').waitFor();
  expect(await page.getByTestId('conflict').textContent()).toMatch(staleMessage);
}, 240_000);

const CONSOLE_PAGES: Array<[string, string]> = [
  ['/admin', 'admin-overview'],
  ['/admin/departments', 'admin-departments'],
  ['/admin/teams', 'admin-teams'],
  ['/admin/sla-policies', 'admin-sla-policies'],
  ['/admin/audit', 'admin-audit'],
  ['/admin/inbound', 'admin-inbound'],
];

const contrastProblems = async (page: Page) => (await axeProblems(page)).filter((p) => p.startsWith('color-contrast'));
const bodyBackground = (page: Page) => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');

test('when the system prefers dark, then the portal is dark with readable contrast on its main pages; the toggle pins light across reloads; screenshots of the console pages', async () => {
  session = await signIn(browser, stack, 'Ada', { colorScheme: 'dark' });
  const { page } = session;
  expect(await bodyBackground(page)).toBe('rgb(17, 21, 29)');
  for (const path of ['/tickets', '/reports', '/admin/sla-policies', '/admin/teams', '/admin/audit']) {
    await go(page, path);
    expect({ path, problems: await contrastProblems(page) }).toEqual({ path, problems: [] });
  }
  await go(page, '/reports');
  await screenshot(page, 'reports-dark', true);
  const sla = (await api.call<Policy[]>('GET', '/admin/sla-policies', 'ada')).body.data[0]!;
  await go(page, `/admin/sla-policies/${sla.id}`);
  expect(await contrastProblems(page)).toEqual([]);
  await screenshot(page, 'admin-sla-policy-dark', true);

  // The toggle wins over the system: light now, and still light after a reload.
  await page.getByTestId('theme-toggle').selectOption('light');
  expect(await bodyBackground(page)).toBe('rgb(244, 246, 249)');
  await reload(page);
  expect(await bodyBackground(page)).toBe('rgb(244, 246, 249)');
  expect(await page.getByTestId('theme-toggle').inputValue()).toBe('light');

  for (const [path, name] of CONSOLE_PAGES) {
    await go(page, path);
    expect({ path, problems: await contrastProblems(page) }).toEqual({ path, problems: [] });
    await screenshot(page, name, true);
  }
  await page.getByTestId('theme-toggle').selectOption('system');
  expect(await bodyBackground(page)).toBe('rgb(17, 21, 29)');
}, 240_000);
