import { ruleShapeErrors } from '../../api/admin/approval-rules';
import { fieldSchemaErrors, parseCustomFieldFilters, validateCustomFieldChanges, type FieldSpec } from '../../api/custom-fields';
import type { ApprovalRule } from '../../workflows/domain/approvals';
import { customFieldDiff } from '../../workflows/ticket-custom-fields';

const amount: FieldSpec = { key: 'amount', label: 'Amount', type: 'money', required: true, min: 0 };
const manager = { name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any' } as const;

describe('field schemas', () => {
  test('when a schema is well formed, then it has no errors', () => {
    expect(
      fieldSchemaErrors([
        { key: 'title', label: 'Title', type: 'text', required: true, min: 1, max: 80 },
        { key: 'day', label: 'Day', type: 'date', required: false, min: '2026-01-01', max: '2026-12-31' },
        { key: 'tags', label: 'Tags', type: 'multiselect', required: false, options: ['a', 'b'] },
      ]),
    ).toEqual([]);
  });

  test('when a date range runs backwards or options repeat, then each is named', () => {
    expect(
      fieldSchemaErrors([
        { key: 'day', label: 'Day', type: 'date', required: false, min: '2026-12-31', max: '2026-01-01' },
        { key: 'size', label: 'Size', type: 'select', required: false, options: ['S', 'S'] },
        { key: 'owner', label: 'Owner', type: 'user', required: false, min: 1 },
      ]).map((e) => e.field),
    ).toEqual(['fields.0.max', 'fields.1.options', 'fields.2.min']);
  });
});

describe('approval rule shapes', () => {
  test('when a conditional rule reads an optional field, then the field is named', () => {
    const rule: ApprovalRule = { kind: 'conditional', field: 'amount', branches: [{ min: 0, steps: [manager] }] };
    expect(ruleShapeErrors(rule, [{ ...amount, required: false }]).map((e) => e.field)).toEqual(['rule.field']);
  });

  test('when branches are disjoint and bounded, then the rule passes; an upside-down branch is named', () => {
    const good: ApprovalRule = { kind: 'conditional', field: 'amount', branches: [{ below: 1000, steps: [manager] }, { min: 1000, steps: [manager] }] };
    expect(ruleShapeErrors(good, [amount])).toEqual([]);
    const bad: ApprovalRule = { kind: 'conditional', field: 'amount', branches: [{ min: 500, below: 100, steps: [manager] }] };
    expect(ruleShapeErrors(bad, [amount]).map((e) => e.field)).toEqual(['rule.branches.0.below']);
  });
});

describe('custom-field edits', () => {
  test('when an edit repeats a value, then only real changes appear in the diff', () => {
    expect(customFieldDiff({ a: 1, b: ['x'] }, { a: 1, b: ['x', 'y'], c: null })).toEqual({ before: { b: ['x'] }, after: { b: ['x', 'y'] } });
  });

  test('when an optional value is emptied, then it becomes null (cleared) rather than an error', () => {
    expect(validateCustomFieldChanges([{ key: 'note', label: 'Note', type: 'text', required: false }], { note: '' })).toEqual({ errors: [], cleaned: { note: null } });
  });
});

describe('list filters', () => {
  const declared = new Map<string, FieldSpec>([
    ['amount', amount],
    ['tags', { key: 'tags', label: 'Tags', type: 'multiselect', required: false, options: ['a', 'b'] }],
  ]);

  test('when ranges and options are asked for, then they become typed conditions', () => {
    expect(parseCustomFieldFilters([['cf.amount.min', '10'], ['cf.tags', 'b']], declared)).toEqual({
      filters: [
        { key: 'amount', op: 'gte', value: 10 },
        { key: 'tags', op: 'contains', value: 'b' },
      ],
      errors: [],
    });
  });

  test('when a range is asked of a multi-select, then the parameter is named', () => {
    expect(parseCustomFieldFilters([['cf.tags.max', 'b']], declared).errors.map((e) => e.field)).toEqual(['cf.tags.max']);
  });
});
