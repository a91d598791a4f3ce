import { z } from 'zod';
import type { CategoryView } from '../../lib/db/organisation';
import { PRIORITIES, type Priority } from '../../workflows/domain/types';
import { validateCustomFields } from '../custom-fields';
import type { FieldError } from '../errors';
import { CreateTicketBody } from '../schemas';

/**
 * The CSV import's columns and the checks each row goes through before it may start a
 * ticket. Pure: the runner supplies the catalog and the directory lookups. Every error
 * names the column it is about, as the person fixing the spreadsheet sees it.
 */
export const REQUIRED_COLUMNS = ['external_id', 'requester_email', 'title', 'description', 'category'] as const;
export const OPTIONAL_COLUMNS = ['priority'] as const;
const CUSTOM_FIELD_COLUMN = /^cf\.(\w{1,64})$/;

export type Cells = Record<string, string>;

/** What is wrong with the header row, if anything: missing required columns and columns nobody reads. */
export function headerProblems(columns: string[]): FieldError[] {
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
  const problems: FieldError[] = REQUIRED_COLUMNS.filter((c) => !columns.includes(c)).map((c) => ({ field: c, message: 'is a required column' }));
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) problems.push({ field: column, message: 'appears twice in the header' });
    seen.add(column);
    if (!known.has(column) && !CUSTOM_FIELD_COLUMN.test(column)) problems.push({ field: column, message: 'is not a recognised column (use cf.<key> for custom fields)' });
  }
  return problems;
}

const ExternalId = z.string().trim().min(1, 'is required').max(191, 'must be at most 191 characters');
const Email = z.email('must be an email address').max(254);

/** A stable idempotency key for an external id, within the Idempotency-Key alphabet whatever the id contains. */
export function importKey(externalId: string, hash: (s: string) => string): string {
  return `import:${hash(externalId).slice(0, 48)}`;
}

/** Priority as a spreadsheet writes it: the names in any case, or P1–P4 (Critical–Low). */
function priorityOf(value: string): Priority | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return 'medium';
  const numbered = /^p([1-4])$/.exec(v);
  if (numbered) return PRIORITIES[Number(numbered[1]) - 1] as Priority;
  return (PRIORITIES as readonly string[]).includes(v) ? (v as Priority) : undefined;
}

function categoryOf(value: string, categories: CategoryView[]): CategoryView | undefined {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  return categories.find((c) => String(c.id) === v || c.code.toLowerCase() === v || c.name.toLowerCase() === v);
}

/** A custom-field cell as the type its schema declares, so the shared validator judges it like a form value. */
function customValue(spec: CategoryView['fields'][number], raw: string): unknown {
  const value = raw.trim();
  if (value === '') return undefined;
  switch (spec.type) {
    case 'number':
    case 'money':
    case 'user':
      return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    case 'multiselect':
      return value.split(/[;|]/).map((v) => v.trim()).filter(Boolean);
    default:
      return value;
  }
}

function columnOf(field: string): string {
  if (field.startsWith('customFields.')) return `cf.${field.slice('customFields.'.length)}`;
  return field === 'categoryId' ? 'category' : field;
}

export type CheckedRow =
  | { ok: true; externalId: string; email: string; body: CreateTicketBody }
  | { ok: false; externalId: string | null; errors: FieldError[] };

/** Checks one row against the catalog; the requester's existence is the runner's to check. */
export function checkRow(cells: Cells, categories: CategoryView[]): CheckedRow {
  const errors: FieldError[] = [];
  const externalId = ExternalId.safeParse(cells.external_id ?? '');
  if (!externalId.success) errors.push({ field: 'external_id', message: externalId.error.issues[0]!.message });
  const email = Email.safeParse((cells.requester_email ?? '').trim().toLowerCase());
  if (!email.success) errors.push({ field: 'requester_email', message: email.error.issues[0]!.message });
  const priority = priorityOf(cells.priority ?? '');
  if (!priority) errors.push({ field: 'priority', message: `must be one of: ${PRIORITIES.join(', ')} (or P1–P4)` });
  const category = categoryOf(cells.category ?? '', categories);
  if (!category) errors.push({ field: 'category', message: 'is not an active category (give its id, code or name)' });

  const customFields: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(cells)) {
    const key = CUSTOM_FIELD_COLUMN.exec(column)?.[1];
    if (!key || raw.trim() === '') continue;
    const spec = category?.fields.find((f) => f.key === key);
    customFields[key] = spec ? customValue(spec, raw) : raw;
  }
  const parsed = CreateTicketBody.safeParse({
    title: cells.title ?? '',
    description: cells.description ?? '',
    categoryId: category?.id ?? 1,
    priority: priority ?? 'medium',
    customFields: {},
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push({ field: columnOf(issue.path.map(String).join('.')), message: issue.message });
  }
  if (category) {
    const checked = validateCustomFields(category.fields, customFields);
    errors.push(...checked.errors.map((e) => ({ field: columnOf(e.field), message: e.message })));
    if (errors.length === 0 && parsed.success) {
      return { ok: true, externalId: externalId.data!, email: email.data!, body: { ...parsed.data, categoryId: category.id, customFields: checked.cleaned } };
    }
  }
  return { ok: false, externalId: externalId.success ? externalId.data : null, errors };
}
