import crypto from 'node:crypto';
import { startHarness, type Harness } from '../support/harness';

/**
 * The admin console's organisation set-up: departments, teams and members, categories with
 * field schemas and approval rules, routing rules. Every change is validated (nothing written
 * on a 400), version-checked (409 when stale), audited with before and after, and reaches
 * the next ticket raised — never a running one.
 */
let h: Harness;
const ids: Record<string, number> = {};

beforeAll(async () => {
  h = await startHarness();
  const team = async (code: string) => (await h.db.models.Team.findOne({ where: { code } }))!.get('id') as number;
  const department = async (code: string) => (await h.db.models.Department.findOne({ where: { code } }))!.get('id') as number;
  Object.assign(ids, {
    peopleOps: await team('people-ops'),
    facilities: await team('facilities-ops'),
    it: await department('IT'),
    hr: await department('HR'),
    eu: (await h.db.models.BusinessCalendar.findOne({ where: { code: 'eu-office' } }))!.get('id') as number,
    mark: await h.userId('mark'),
    emma: await h.userId('emma'),
    alex: await h.userId('alex'),
    frank: await h.userId('frank'),
    ada: await h.userId('ada'),
  });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const fieldsOf = (response: { body: { error: { details: Array<{ field: string }> } } }) => response.body.error.details.map((d) => d.field);

async function latestAudit(entity: string) {
  const response = await h.request('GET', `/admin/audit?entity=${entity}&limit=1`, { as: 'ada' });
  return response.body.data[0] as { action: string; actorId: number; entityId: string; before: any; after: any };
}

async function raise(categoryCode: string, title: string, customFields: Record<string, unknown> = {}) {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title, description: 'Please help', categoryId: await h.categoryId(categoryCode), customFields },
  });
  expect(response.status).toBe(201);
  return response.body.data;
}

describe('who may read and change the organisation', () => {
  test.each([
    ['emma', 403],
    ['alex', 403],
    ['mark', 403],
    ['lee', 200],
    ['ada', 200],
  ] as const)('when %s lists teams, then %s', async (person, status) => {
    expect((await h.request('GET', '/admin/teams', { as: person })).status).toBe(status);
  });

  test('when a lead tries to change a department, then 403 and nothing is written', async () => {
    const auditBefore = await h.db.models.AuditLog.count();
    const response = await h.request('POST', '/admin/departments', { as: 'lee', body: { code: 'LEGAL', name: 'Legal' } });
    expect(response.status).toBe(403);
    expect(await h.db.models.Department.count({ where: { code: 'LEGAL' } })).toBe(0);
    expect(await h.db.models.AuditLog.count()).toBe(auditBefore);
  });
});

describe('departments', () => {
  test('when an admin creates then edits a department, then each change is audited with before and after; a stale edit is 409', async () => {
    const created = await h.request('POST', '/admin/departments', { as: 'ada', body: { code: 'LEGAL', name: 'Legal' } });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ code: 'LEGAL', name: 'Legal', headUserId: null, version: 1 });
    expect(await latestAudit('department')).toMatchObject({ action: 'create', actorId: ids.ada, before: null, after: { code: 'LEGAL' } });

    const id = created.body.data.id;
    const edited = await h.request('PUT', `/admin/departments/${id}`, { as: 'ada', body: { name: 'Legal & Compliance', headUserId: ids.mark, expectedVersion: 1 } });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ name: 'Legal & Compliance', headUserId: ids.mark, version: 2 });
    expect(await latestAudit('department')).toMatchObject({ action: 'update', entityId: String(id), before: { name: 'Legal', version: 1 }, after: { name: 'Legal & Compliance', version: 2 } });

    const stale = await h.request('PUT', `/admin/departments/${id}`, { as: 'ada', body: { name: 'Legal again', headUserId: null, expectedVersion: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('STALE_VERSION');
    expect((await h.db.models.Department.findByPk(id))!.get('name')).toBe('Legal & Compliance');

    const duplicate = await h.request('POST', '/admin/departments', { as: 'ada', body: { code: 'LEGAL', name: 'Another' } });
    expect(duplicate.status).toBe(409);
    expect(fieldsOf(duplicate)).toEqual(['code']);
  });

  test.each([
    ['a head nobody is', { name: 'IT', headUserId: 999999, expectedVersion: 1 }, ['headUserId']],
    ['an empty name and no version', { name: ' ', headUserId: null }, ['name', 'expectedVersion']],
    ['an unknown property', { name: 'IT', headUserId: null, expectedVersion: 1, colour: 'blue' }, ['colour']],
  ])('when a department edit has %s, then 400 names the fields and nothing is written', async (_case, body, fields) => {
    const auditBefore = await h.db.models.AuditLog.count();
    const response = await h.request('PUT', `/admin/departments/${ids.it}`, { as: 'ada', body });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(fields);
    expect((await h.db.models.Department.findByPk(ids.it))!.get('version')).toBe(1);
    expect(await h.db.models.AuditLog.count()).toBe(auditBefore);
  });
});

describe('teams and members', () => {
  test('when a team is created, edited and staffed, then each change bumps its version and is audited', async () => {
    const created = await h.request('POST', '/admin/teams', { as: 'ada', body: { code: 'contracts', name: 'Contracts', departmentId: ids.hr, calendarId: ids.eu } });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    expect(created.body.data).toMatchObject({ assignmentStrategy: 'queue', members: [], version: 1 });

    const edited = await h.request('PUT', `/admin/teams/${id}`, {
      as: 'ada',
      body: { name: 'Contracts desk', departmentId: ids.hr, calendarId: ids.eu, assignmentStrategy: 'least_loaded', expectedVersion: 1 },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ name: 'Contracts desk', assignmentStrategy: 'least_loaded', version: 2 });

    const added = await h.request('PUT', `/admin/teams/${id}/members/${ids.alex}`, { as: 'ada', body: { membership: 'agent', expectedVersion: 2 } });
    expect(added.status).toBe(200);
    expect(added.body.data.members).toEqual([{ userId: ids.alex, membership: 'agent', onShift: true }]);
    expect(await latestAudit('team')).toMatchObject({ action: 'member_added', before: { members: [] }, after: { members: [{ userId: ids.alex }], version: 3 } });

    const promoted = await h.request('PUT', `/admin/teams/${id}/members/${ids.alex}`, { as: 'ada', body: { membership: 'lead', onShift: false, expectedVersion: 3 } });
    expect(promoted.body.data.members).toEqual([{ userId: ids.alex, membership: 'lead', onShift: false }]);
    expect((await latestAudit('team')).action).toBe('member_changed');

    const stale = await h.request('DELETE', `/admin/teams/${id}/members/${ids.alex}?expectedVersion=3`, { as: 'ada' });
    expect(stale.status).toBe(409);
    expect(await h.db.models.TeamMember.count({ where: { team_id: id } })).toBe(1);
    const removed = await h.request('DELETE', `/admin/teams/${id}/members/${ids.alex}?expectedVersion=4`, { as: 'ada' });
    expect(removed.status).toBe(200);
    expect(removed.body.data).toMatchObject({ members: [], version: 5 });
    expect(await latestAudit('team')).toMatchObject({ action: 'member_removed', before: { members: [{ userId: ids.alex }] }, after: { members: [] } });
  });

  test.each([
    ['an unknown strategy and calendar', { name: 'X', departmentId: 1, calendarId: 1, assignmentStrategy: 'random', expectedVersion: 1 }, ['assignmentStrategy']],
    ['a department and calendar that do not exist', { name: 'X', departmentId: 9999, calendarId: 9999, assignmentStrategy: 'queue', expectedVersion: 1 }, ['departmentId', 'calendarId']],
  ])('when a team edit has %s, then 400 names the fields', async (_case, body, fields) => {
    const response = await h.request('PUT', `/admin/teams/${ids.peopleOps}`, { as: 'ada', body });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(fields);
    expect((await h.db.models.Team.findByPk(ids.peopleOps))!.get('version')).toBe(1);
  });

  test('when someone without the agent or lead role is added to a team, then 400 names the user and nothing changes', async () => {
    const response = await h.request('PUT', `/admin/teams/${ids.peopleOps}/members/${ids.emma}`, { as: 'ada', body: { membership: 'agent', expectedVersion: 1 } });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(['userId']);
    expect(await h.db.models.TeamMember.count({ where: { team_id: ids.peopleOps, user_id: ids.emma } })).toBe(0);
  });
});

describe('categories and their custom-field schemas', () => {
  test.each([
    ['a select without options', [{ key: 'size', label: 'Size', type: 'select' }], ['fields.0.options']],
    ['min above max', [{ key: 'qty', label: 'Quantity', type: 'number', min: 10, max: 1 }], ['fields.0.max']],
    ['a text length that is not a count', [{ key: 'note', label: 'Note', type: 'text', max: 'long' }], ['fields.0.max']],
    ['a date range that is not dates', [{ key: 'day', label: 'Day', type: 'date', min: 3 }], ['fields.0.min']],
    ['repeated keys', [{ key: 'a', label: 'A', type: 'text' }, { key: 'a', label: 'A again', type: 'text' }], ['fields.1.key']],
    ['a malformed key and unknown type', [{ key: 'Bad Key', label: 'Bad', type: 'colour' }], ['fields.0.key', 'fields.0.type']],
    ['options on a number', [{ key: 'n', label: 'N', type: 'number', options: ['1'] }], ['fields.0.options']],
  ])('when a schema has %s, then 400 names the field and the category is unchanged', async (_case, fields, named) => {
    const category = await h.categoryId('fac-desk-move');
    const response = await h.request('PUT', `/admin/categories/${category}/fields`, { as: 'ada', body: { fields, expectedVersion: 1 } });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(named);
    expect((await h.db.models.Category.findByPk(category))!.get('version')).toBe(1);
  });

  test('when a schema is replaced, then the next ticket is checked against it; a stale save is 409', async () => {
    const category = await h.categoryId('fac-desk-move');
    const fields = [{ key: 'to_desk', label: 'New desk', type: 'text', required: true, min: 2 }];
    const saved = await h.request('PUT', `/admin/categories/${category}/fields`, { as: 'ada', body: { fields, expectedVersion: 1 } });
    expect(saved.status).toBe(200);
    expect(saved.body.data.fields).toEqual([{ key: 'to_desk', label: 'New desk', type: 'text', required: true, min: 2 }]);
    expect(await latestAudit('category')).toMatchObject({ action: 'update_fields', before: { fields: [{ key: 'from_desk' }, { key: 'to_desk' }] }, after: { version: 2 } });
    expect((await h.request('PUT', `/admin/categories/${category}/fields`, { as: 'ada', body: { fields: [], expectedVersion: 1 } })).status).toBe(409);

    const refused = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Move me', description: 'x', categoryId: category, customFields: {} },
    });
    expect(fieldsOf(refused)).toEqual(['customFields.to_desk']);
  });

  test('when a category is archived, then it leaves the catalog but its tickets stay readable', async () => {
    const ticket = await raise('fac-maintenance', 'Broken blind', { room: 'B2.14' });
    const category = await h.categoryId('fac-maintenance');
    const row = (await h.request('GET', `/admin/categories/${category}`, { as: 'ada' })).body.data;
    const archived = await h.request('PUT', `/admin/categories/${category}`, {
      as: 'ada',
      body: { name: row.name, departmentId: row.departmentId, parentId: row.parentId, defaultTeamId: row.defaultTeamId, active: false, expectedVersion: row.version },
    });
    expect(archived.status).toBe(200);
    expect((await latestAudit('category')).action).toBe('archive');
    const catalog = await h.request('GET', '/catalog', { as: 'emma' });
    expect(catalog.body.data.categories.map((c: { code: string }) => c.code)).not.toContain('fac-maintenance');
    expect((await h.request('GET', `/tickets/${ticket.number}`, { as: 'emma' })).body.data.categoryName).toBe(row.name);
    const listed = await h.request('GET', '/admin/categories?includeArchived=true&limit=200', { as: 'ada' });
    expect(listed.body.data.find((c: { id: number }) => c.id === category).active).toBe(false);
  });
});

describe('approval rules', () => {
  const step = (overrides: Record<string, unknown> = {}) => ({ name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any', ...overrides });

  test.each([
    ['an unknown approver kind', { kind: 'chain', steps: [step({ approvers: { kind: 'astrologer' } })] }, ['rule.steps.0.approvers.kind']],
    ['an empty chain', { kind: 'chain', steps: [] }, ['rule.steps']],
    ['a timeout that is not positive', { kind: 'chain', steps: [step({ remindAfterHours: 0 })] }, ['rule.steps.0.remindAfterHours']],
    ['escalation before the reminder', { kind: 'chain', steps: [step({ remindAfterHours: 8, escalateAfterHours: 4 })] }, ['rule.steps.0.escalateAfterHours']],
    ['a quorum without a number', { kind: 'chain', steps: [step({ mode: 'quorum' })] }, ['rule.steps.0.quorum']],
    ['a quorum above the approvers', { kind: 'chain', steps: [step({ mode: 'quorum', quorum: 3, approvers: { kind: 'users', userIds: [1, 2] } })] }, ['rule.steps.0.quorum']],
    ['people, groups and departments that do not exist', {
      kind: 'chain',
      steps: [step({ approvers: { kind: 'users', userIds: [999999] } }), step({ approvers: { kind: 'group', group: 'nobody' } }), step({ approvers: { kind: 'role_in_department', role: 'manager', departmentId: 9999 } })],
    }, ['rule.steps.0.approvers.userIds', 'rule.steps.1.approvers.group', 'rule.steps.2.approvers.departmentId']],
    ['a condition on a field the category lacks', { kind: 'conditional', field: 'amount', branches: [{ min: 0, steps: [step()] }] }, ['rule.field']],
  ])('when a rule has %s, then 400 names the field and the rule is unchanged', async (_case, rule, fields) => {
    const category = await h.categoryId('it-software');
    const response = await h.request('PUT', `/admin/categories/${category}/approval-rule`, { as: 'ada', body: { rule, expectedVersion: 1 } });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(fields);
    expect((await h.db.models.Category.findByPk(category))!.get('approval_rule')).toBeNull();
  });

  test('when overlapping branches are given for a purchase, then 400 names the overlapping branch', async () => {
    const category = await h.categoryId('fin-expense');
    const rule = { kind: 'conditional', field: 'amount', branches: [{ below: 1000, steps: [step()] }, { min: 500, steps: [step()] }] };
    const response = await h.request('PUT', `/admin/categories/${category}/approval-rule`, { as: 'ada', body: { rule, expectedVersion: 1 } });
    expect(fieldsOf(response)).toEqual(['rule.branches.1']);
  });

  test('when an approval rule is set, then the next ticket follows it and a ticket already running does not', async () => {
    const before = await raise('it-software', 'Install Figma', { software: 'Figma' });
    expect(before.status).not.toBe('pending_approval');
    const category = await h.categoryId('it-software');
    const rule = { kind: 'chain', steps: [{ name: 'Licence owner', approvers: { kind: 'users', userIds: [ids.mark] }, mode: 'any', remindAfterHours: 4, escalateAfterHours: 8 }] };
    const saved = await h.request('PUT', `/admin/categories/${category}/approval-rule`, { as: 'ada', body: { rule, expectedVersion: 1 } });
    expect(saved.status).toBe(200);
    expect(await latestAudit('category')).toMatchObject({ action: 'update_approval_rule', before: { approvalRule: null }, after: { approvalRule: rule, version: 2 } });

    const after = await raise('it-software', 'Install Sketch', { software: 'Sketch' });
    expect(after.status).toBe('pending_approval');
    expect(after.approval.steps[0]).toMatchObject({ name: 'Licence owner', approverIds: [ids.mark] });
    const earlier = await h.request('GET', `/tickets/${before.number}`, { as: 'emma' });
    expect(earlier.body.data.status).toBe(before.status);
    expect(earlier.body.data.approval).toBeNull();
  });

  test('when a ticket chose its chain by amount, then the amount cannot be edited afterwards', async () => {
    const ticket = await raise('fin-purchase', 'New monitor', { amount: 300, vendor: 'Acme' });
    const response = await h.request('PATCH', `/tickets/${ticket.number}/custom-fields`, { as: 'ada', body: { customFields: { amount: 9000 }, expectedVersion: ticket.version } });
    expect(response.status).toBe(409);
    expect(fieldsOf(response)).toEqual(['customFields.amount']);
  });
});

describe('routing rules', () => {
  test('when a rule is added at the top, then the next matching ticket goes to its team; reordering and deleting are version-checked', async () => {
    const created = await h.request('POST', '/admin/routing-rules', {
      as: 'ada',
      body: { name: 'Zebra printers go to Facilities', conditions: { keywords: ['zebra'] }, teamId: ids.facilities, position: 1 },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ position: 1, enabled: true, version: 1 });
    expect(await latestAudit('routing_rule')).toMatchObject({ action: 'create', after: { name: 'Zebra printers go to Facilities' } });

    const routed = await raise('hr-payroll', 'Zebra label printer for payslips');
    expect(routed.teamId).toBe(ids.facilities);
    const events = await h.request('GET', `/tickets/${routed.number}/events`, { as: 'ada' });
    expect(events.body.data.find((e: { type: string }) => e.type === 'routed').data.reason).toEqual({ kind: 'rule', ruleId: created.body.data.id, ruleName: 'Zebra printers go to Facilities' });
    expect((await raise('hr-payroll', 'Overtime question')).teamId).toBe(ids.peopleOps);

    const rules = (await h.request('GET', '/admin/routing-rules?limit=200', { as: 'lee' })).body.data as Array<{ id: number; version: number }>;
    const reversed = [...rules].reverse().map((r) => ({ id: r.id, expectedVersion: r.version }));
    const reordered = await h.request('PUT', '/admin/routing-rules/order', { as: 'ada', body: { rules: reversed } });
    expect(reordered.status).toBe(200);
    expect(reordered.body.data.map((r: { id: number }) => r.id)).toEqual(reversed.map((r) => r.id));
    expect(reordered.body.data.map((r: { position: number }) => r.position)).toEqual(reversed.map((_r, i) => i + 1));
    expect((await h.request('PUT', '/admin/routing-rules/order', { as: 'ada', body: { rules: reversed } })).status).toBe(409);
    expect(fieldsOf(await h.request('PUT', '/admin/routing-rules/order', { as: 'ada', body: { rules: reversed.slice(1) } }))).toEqual(['rules']);

    const id = created.body.data.id;
    const current = reordered.body.data.find((r: { id: number }) => r.id === id);
    expect((await h.request('DELETE', `/admin/routing-rules/${id}?expectedVersion=1`, { as: 'ada' })).status).toBe(409);
    expect((await h.request('DELETE', `/admin/routing-rules/${id}?expectedVersion=${current.version}`, { as: 'ada' })).status).toBe(200);
    expect(await latestAudit('routing_rule')).toMatchObject({ action: 'delete', before: { id }, after: null });
    // History keeps the name of the rule that routed it.
    const later = await h.request('GET', `/tickets/${routed.number}/events`, { as: 'ada' });
    expect(later.body.data.find((e: { type: string }) => e.type === 'routed').data.reason.ruleName).toBe('Zebra printers go to Facilities');
  });

  test.each([
    ['no condition at all', { name: 'Everything', conditions: {}, teamId: 1 }, ['conditions']],
    ['a team and category that do not exist', { name: 'Ghost', conditions: { categoryIds: [9999] }, teamId: 9999 }, ['teamId', 'conditions.categoryIds']],
    ['an empty keyword', { name: 'Blank', conditions: { keywords: [' '] }, teamId: 1 }, ['conditions.keywords.0']],
  ])('when a rule has %s, then 400 names the fields and no rule is added', async (_case, body, fields) => {
    const count = await h.db.models.RoutingRule.count();
    const response = await h.request('POST', '/admin/routing-rules', { as: 'ada', body });
    expect(response.status).toBe(400);
    expect(fieldsOf(response)).toEqual(fields);
    expect(await h.db.models.RoutingRule.count()).toBe(count);
  });
});

describe('membership changes reach assignment at decision time', () => {
  test('when an agent is removed from a round-robin team, then no ticket is auto-assigned to them again, and one added back is', async () => {
    const team = (await h.request('GET', `/admin/teams/${ids.facilities}`, { as: 'ada' })).body.data;
    const frank = team.members.find((m: { membership: string }) => m.membership === 'agent').userId as number;
    const removed = await h.request('DELETE', `/admin/teams/${ids.facilities}/members/${frank}?expectedVersion=${team.version}`, { as: 'ada' });
    expect(removed.status).toBe(200);
    // Desk moves go to Facilities (an earlier test archived maintenance and made to_desk required).
    const raiseMove = async () => (await raise('fac-desk-move', 'Desk move', { to_desk: 'B2-14' })) as { number: number; assigneeId: number | null };
    const assignees = [];
    for (let i = 0; i < 3; i++) assignees.push((await raiseMove()).assigneeId);
    expect(assignees).not.toContain(frank);
    expect(assignees.every((a) => a !== null)).toBe(true);

    const back = await h.request('PUT', `/admin/teams/${ids.facilities}/members/${frank}`, { as: 'ada', body: { membership: 'agent', expectedVersion: removed.body.data.version } });
    expect(back.status).toBe(200);
    const after = [];
    for (let i = 0; i < 3; i++) after.push((await raiseMove()).assigneeId);
    expect(after).toContain(frank);
  });
});
