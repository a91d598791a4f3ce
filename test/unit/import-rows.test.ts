import { checkRow, headerProblems } from '../../api/imports/rows';
import type { CategoryView } from '../../lib/db/organisation';

const CATEGORIES: CategoryView[] = [
  {
    id: 7,
    code: 'fin-purchase',
    name: 'Purchase request',
    departmentId: 1,
    departmentName: 'Finance',
    parentId: null,
    defaultTeamId: null,
    fields: [
      { key: 'amount', label: 'Amount', type: 'money', required: true, min: 0 },
      { key: 'tags', label: 'Tags', type: 'multiselect', required: false, options: ['a', 'b'] },
    ],
  },
];

const row = (over: Record<string, string> = {}) => ({
  external_id: 'X-1',
  requester_email: 'Emma@Example.com',
  title: 'New monitor',
  description: 'Two of them',
  category: 'Purchase Request',
  priority: 'P2',
  'cf.amount': '199.90',
  'cf.tags': 'a; b',
  ...over,
});

describe('import header', () => {
  test('when required columns are missing and unknown ones present, then each is named', () => {
    expect(headerProblems(['external_id', 'title', 'colour', 'cf.amount', 'title']).map((p) => p.field).sort()).toEqual(['category', 'colour', 'description', 'requester_email', 'title']);
  });
});

describe('import row', () => {
  test('when a row is good, then it becomes a create body with typed custom fields', () => {
    expect(checkRow(row(), CATEGORIES)).toEqual({
      ok: true,
      externalId: 'X-1',
      email: 'emma@example.com',
      body: { title: 'New monitor', description: 'Two of them', categoryId: 7, priority: 'high', customFields: { amount: 199.9, tags: ['a', 'b'] } },
    });
  });

  test.each([
    [{ requester_email: 'nope' }, 'requester_email'],
    [{ category: 'teleport' }, 'category'],
    [{ title: '' }, 'title'],
    [{ priority: 'asap' }, 'priority'],
    [{ 'cf.amount': 'lots' }, 'cf.amount'],
    [{ 'cf.amount': '' }, 'cf.amount'],
    [{ 'cf.tags': 'c' }, 'cf.tags'],
    [{ 'cf.colour': 'red' }, 'cf.colour'],
    [{ external_id: ' ' }, 'external_id'],
  ])('when a row has %j, then the error names %s', (over, column) => {
    const checked = checkRow(row(over), CATEGORIES);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors.map((e) => e.field)).toEqual([column]);
  });
});
