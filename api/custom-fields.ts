import type { CategoryView } from '../lib/db/organisation';
import type { FieldError } from './errors';

type FieldSpec = CategoryView['fields'][number];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function checkOne(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'text':
      if (typeof value !== 'string') return 'must be text';
      if (value.length > 2000) return 'must be at most 2000 characters';
      return undefined;
    case 'number':
    case 'money': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      // Compare with a tolerance: 19.99 * 100 is 1998.9999999999998 in binary floating point.
      if (spec.type === 'money' && Math.abs(value * 100 - Math.round(value * 100)) > 1e-6) return 'must have at most two decimals';
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    }
    case 'date':
      return typeof value === 'string' && isRealDate(value) ? undefined : 'must be a date (YYYY-MM-DD)';
    case 'select':
      return typeof value === 'string' && (spec.options ?? []).includes(value) ? undefined : `must be one of: ${(spec.options ?? []).join(', ')}`;
    case 'multiselect':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && (spec.options ?? []).includes(v))
        ? undefined
        : `must be a list of: ${(spec.options ?? []).join(', ')}`;
    case 'user':
      return Number.isInteger(value) && (value as number) > 0 ? undefined : 'must be a user id';
    default:
      return 'has an unknown field type';
  }
}

/**
 * Checks custom field values against the category's schema: required fields present,
 * every value of its declared type and range, and no undeclared fields. Empty strings
 * count as absent so an untouched optional form field is not an error.
 */
export function validateCustomFields(fields: FieldSpec[], values: Record<string, unknown>): { errors: FieldError[]; cleaned: Record<string, unknown> } {
  const errors: FieldError[] = [];
  const cleaned: Record<string, unknown> = {};
  const declared = new Map(fields.map((f) => [f.key, f]));
  for (const key of Object.keys(values)) {
    if (!declared.has(key)) errors.push({ field: `customFields.${key}`, message: 'is not a field of this category' });
  }
  for (const spec of fields) {
    const value = values[spec.key];
    const absent = value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
    if (absent) {
      if (spec.required) errors.push({ field: `customFields.${spec.key}`, message: `${spec.label} is required` });
      continue;
    }
    const problem = checkOne(spec, value);
    if (problem) errors.push({ field: `customFields.${spec.key}`, message: `${spec.label} ${problem}` });
    else cleaned[spec.key] = typeof value === 'string' ? value.trim() : value;
  }
  return { errors, cleaned };
}
