import { z } from 'zod';
import type { CategoryView } from '../lib/db/organisation';
import type { FieldError } from './errors';

/** Custom fields: the admin's schema per category, values checked against it, and list filters on declared fields. */

export type FieldSpec = CategoryView['fields'][number];

export const FIELD_TYPES = ['text', 'number', 'money', 'date', 'select', 'multiselect', 'user'] as const;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function checkOne(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'text': {
      if (typeof value !== 'string') return 'must be text';
      const length = value.trim().length;
      const max = typeof spec.max === 'number' ? spec.max : 2000;
      if (typeof spec.min === 'number' && length < spec.min) return `must be at least ${spec.min} characters`;
      if (length > max) return `must be at most ${max} characters`;
      return undefined;
    }
    case 'number':
    case 'money': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      // Compare with a tolerance: 19.99 * 100 is 1998.9999999999998 in binary floating point.
      if (spec.type === 'money' && Math.abs(value * 100 - Math.round(value * 100)) > 1e-6) return 'must have at most two decimals';
      if (typeof spec.min === 'number' && value < spec.min) return `must be at least ${spec.min}`;
      if (typeof spec.max === 'number' && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    }
    case 'date':
      if (typeof value !== 'string' || !isRealDate(value)) return 'must be a date (YYYY-MM-DD)';
      // ISO dates compare correctly as strings.
      if (typeof spec.min === 'string' && value < spec.min) return `must be on or after ${spec.min}`;
      if (typeof spec.max === 'string' && value > spec.max) return `must be on or before ${spec.max}`;
      return undefined;
    case 'select':
      return typeof value === 'string' && (spec.options ?? []).includes(value) ? undefined : `must be one of: ${(spec.options ?? []).join(', ')}`;
    case 'multiselect':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && (spec.options ?? []).includes(v)) && new Set(value).size === value.length
        ? undefined
        : `must be a list of distinct values from: ${(spec.options ?? []).join(', ')}`;
    case 'user':
      return Number.isInteger(value) && (value as number) > 0 && (value as number) <= 2_147_483_647 ? undefined : 'must be a user id';
    default:
      return 'has an unknown field type';
  }
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

function cleanedValue(value: unknown): unknown {
  return typeof value === 'string' ? value.trim() : value;
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
    if (isAbsent(value)) {
      if (spec.required) errors.push({ field: `customFields.${spec.key}`, message: `${spec.label} is required` });
      continue;
    }
    const problem = checkOne(spec, value);
    if (problem) errors.push({ field: `customFields.${spec.key}`, message: `${spec.label} ${problem}` });
    else cleaned[spec.key] = cleanedValue(value);
  }
  return { errors, cleaned };
}

/**
 * Checks an edit: only the keys being changed, each against the category's current
 * schema (a required field cannot be cleared). Keys the ticket already holds but the
 * schema has since dropped are left alone, so an old ticket stays editable.
 * Returns the changes with absent values as null (meaning "clear this field").
 */
export function validateCustomFieldChanges(fields: FieldSpec[], changes: Record<string, unknown>): { errors: FieldError[]; cleaned: Record<string, unknown> } {
  const errors: FieldError[] = [];
  const cleaned: Record<string, unknown> = {};
  const declared = new Map(fields.map((f) => [f.key, f]));
  for (const [key, value] of Object.entries(changes)) {
    const spec = declared.get(key);
    if (!spec) {
      errors.push({ field: `customFields.${key}`, message: 'is not a field of this category' });
      continue;
    }
    if (isAbsent(value)) {
      if (spec.required) errors.push({ field: `customFields.${key}`, message: `${spec.label} is required; it cannot be cleared` });
      else cleaned[key] = null;
      continue;
    }
    const problem = checkOne(spec, value);
    if (problem) errors.push({ field: `customFields.${key}`, message: `${spec.label} ${problem}` });
    else cleaned[key] = cleanedValue(value);
  }
  return { errors, cleaned };
}

/** User-typed values must name active people; the caller supplies which ids exist. */
export function userFieldErrors(fields: FieldSpec[], values: Record<string, unknown>, activeIds: Set<number>): FieldError[] {
  return fields
    .filter((f) => f.type === 'user' && typeof values[f.key] === 'number' && !activeIds.has(values[f.key] as number))
    .map((f) => ({ field: `customFields.${f.key}`, message: `${f.label} must be an active person in the directory` }));
}

export function userIdsIn(fields: FieldSpec[], values: Record<string, unknown>): number[] {
  return fields.filter((f) => f.type === 'user' && typeof values[f.key] === 'number').map((f) => values[f.key] as number);
}

/** The admin's field schema: shapes here, cross-field rules in `fieldSchemaErrors`. */
export const FieldSpecBody = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must start with a lower-case letter and use only a-z, 0-9 and _ (at most 48)'),
  label: z.string().trim().min(1).max(120),
  type: z.enum(FIELD_TYPES),
  required: z.boolean().default(false),
  options: z.array(z.string().trim().min(1).max(120)).max(200).optional(),
  min: z.union([z.number(), z.string()]).optional(),
  max: z.union([z.number(), z.string()]).optional(),
});
export const FieldSchemaBody = z.array(FieldSpecBody).max(50);

/** What makes a schema unusable: duplicate keys, selects without options, ranges of the wrong kind or upside down. */
export function fieldSchemaErrors(fields: FieldSpec[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const at = (prop: string) => `fields.${i}.${prop}`;
    if (seen.has(f.key)) errors.push({ field: at('key'), message: `"${f.key}" is used by another field` });
    seen.add(f.key);
    const choice = f.type === 'select' || f.type === 'multiselect';
    if (choice) {
      if (!f.options || f.options.length === 0) errors.push({ field: at('options'), message: 'must list at least one option' });
      else if (new Set(f.options).size !== f.options.length) errors.push({ field: at('options'), message: 'must not repeat an option' });
    } else if (f.options !== undefined) {
      errors.push({ field: at('options'), message: `are only for select and multi-select fields, not ${f.type}` });
    }
    const bounds = (['min', 'max'] as const).filter((b) => f[b] !== undefined);
    for (const b of bounds) {
      const value = f[b];
      if (f.type === 'text' && !(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 20_000)) {
        errors.push({ field: at(b), message: 'must be a length in characters (0–20000)' });
      } else if ((f.type === 'number' || f.type === 'money') && !(typeof value === 'number' && Number.isFinite(value))) {
        errors.push({ field: at(b), message: 'must be a number' });
      } else if (f.type === 'date' && !(typeof value === 'string' && isRealDate(value))) {
        errors.push({ field: at(b), message: 'must be a date (YYYY-MM-DD)' });
      } else if (choice || f.type === 'user') {
        errors.push({ field: at(b), message: `does not apply to ${f.type} fields` });
      }
    }
    if (bounds.length === 2 && !errors.some((e) => e.field === at('min') || e.field === at('max')) && (f.min as number | string) > (f.max as number | string)) {
      errors.push({ field: at('max'), message: 'must not be below min' });
    }
  });
  return errors;
}

/** A parsed `cf.` list filter on a declared field. */
export type CustomFieldFilter =
  | { key: string; op: 'eq'; value: string | number }
  | { key: string; op: 'gte' | 'lte'; value: string | number }
  | { key: string; op: 'contains'; value: string };

/**
 * Parses `cf.<key>=v` (equality; for multi-select: holds the option) and, for number,
 * money and date fields, `cf.<key>.min=v` / `cf.<key>.max=v` (inclusive range). Values
 * are checked against the declaration: a select filter names one of its options, a
 * user filter a user id, a date filter a real date.
 */
export function parseCustomFieldFilters(raw: Array<[string, unknown]>, declared: Map<string, FieldSpec>): { filters: CustomFieldFilter[]; errors: FieldError[] } {
  const filters: CustomFieldFilter[] = [];
  const errors: FieldError[] = [];
  for (const [param, value] of raw) {
    const match = /^cf\.([a-z][a-z0-9_]*)(?:\.(min|max))?$/.exec(param);
    const field = match ? declared.get(match[1]!) : undefined;
    if (!match || !field) {
      errors.push({ field: param, message: 'is not a declared custom field' });
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
      errors.push({ field: param, message: 'must be a single value of at most 200 characters' });
      continue;
    }
    const key = match[1]!;
    const bound = match[2] as 'min' | 'max' | undefined;
    const ranged = field.type === 'number' || field.type === 'money' || field.type === 'date';
    if (bound && !ranged) {
      errors.push({ field: param, message: `ranges apply to number, money and date fields, not ${field.type}` });
      continue;
    }
    const op = bound === 'min' ? 'gte' : bound === 'max' ? 'lte' : 'eq';
    switch (field.type) {
      case 'number':
      case 'money':
      case 'user': {
        const number = Number(value);
        if (!Number.isFinite(number) || (field.type === 'user' && !Number.isInteger(number))) errors.push({ field: param, message: field.type === 'user' ? 'must be a user id' : 'must be a number' });
        else filters.push({ key, op, value: number });
        break;
      }
      case 'date':
        if (!isRealDate(value)) errors.push({ field: param, message: 'must be a date (YYYY-MM-DD)' });
        else filters.push({ key, op, value });
        break;
      case 'select':
      case 'multiselect':
        if (!(field.options ?? []).includes(value)) errors.push({ field: param, message: `must be one of: ${(field.options ?? []).join(', ')}` });
        else filters.push(field.type === 'select' ? { key, op: 'eq', value } : { key, op: 'contains', value });
        break;
      default:
        // Control bytes reach the database driver, which throws (a NUL: a 500, found by probing).
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f]/.test(value)) errors.push({ field: param, message: 'no control characters' });
        else filters.push({ key, op: 'eq', value });
    }
  }
  return { filters, errors };
}
