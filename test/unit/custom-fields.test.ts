import { validateCustomFields } from '../../api/custom-fields';

const fields = [
  { key: 'amount', label: 'Amount', type: 'money', required: true, min: 0, max: 100000 },
  { key: 'vendor', label: 'Vendor', type: 'text', required: false },
  { key: 'needed_by', label: 'Needed by', type: 'date', required: false },
  { key: 'model', label: 'Model', type: 'select', required: false, options: ['A', 'B'] },
  { key: 'extras', label: 'Extras', type: 'multiselect', required: false, options: ['dock', 'bag'] },
];

describe('custom fields', () => {
  test('when every value fits its declaration, then they are kept (trimmed) with no errors', () => {
    const result = validateCustomFields(fields, { amount: 12.5, vendor: ' Acme ', needed_by: '2026-12-01', model: 'A', extras: ['dock'] });
    expect(result).toEqual({ errors: [], cleaned: { amount: 12.5, vendor: 'Acme', needed_by: '2026-12-01', model: 'A', extras: ['dock'] } });
  });

  test('when a required field is missing, then it is named', () => {
    expect(validateCustomFields(fields, {}).errors).toEqual([{ field: 'customFields.amount', message: 'Amount is required' }]);
  });

  test('when values have the wrong type or range, then each is named', () => {
    const { errors } = validateCustomFields(fields, { amount: -1, needed_by: '2026-02-30', model: 'C', extras: ['dock', 'x'] });
    expect(errors.map((e) => e.field)).toEqual(['customFields.amount', 'customFields.needed_by', 'customFields.model', 'customFields.extras']);
  });

  test('when money has fractions of a cent, then it is refused', () => {
    expect(validateCustomFields(fields, { amount: 1.005 }).errors[0]?.field).toBe('customFields.amount');
  });

  test('when an undeclared field is sent, then it is refused', () => {
    expect(validateCustomFields(fields, { amount: 1, colour: 'red' }).errors).toEqual([
      { field: 'customFields.colour', message: 'is not a field of this category' },
    ]);
  });
});
