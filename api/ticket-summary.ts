/** A ticket's list row and its names: shared by lists (names read per table for a page) and a detail (read in one statement). */
import type { Model } from 'sequelize';
import type { Models } from '../lib/db/models';
import type { Priority, TicketStatus } from '../workflows/domain/types';
import type { TicketSummary } from './contract/types';
import type { FieldSpec } from './custom-fields';

/** Instants are stored in UTC: a driver's string without an offset (a plain read on SQLite) is read as UTC, never as local time. */
export const iso = (value: unknown) => {
  if (!value) return null;
  const utc = typeof value === 'string' && !/(Z|[+-]\d\d:?\d\d)$/.test(value) ? `${value}Z` : value;
  return new Date(utc as string).toISOString();
};

/** Names by id, per table, for the rows being summarised. */
export type Names = Record<'category' | 'department' | 'team' | 'user', Map<number, string>>;

/**
 * One ticket's names and its category's fields in a single statement: a detail (every
 * create's and action's answer too) read them in five, one per table.
 */
export async function namesOfOne(models: Models, row: Model): Promise<{ named: Names; fieldSchema: FieldSpec[] }> {
  const sequelize = models.Ticket.sequelize!;
  const id = (key: string) => (row.get(key) as number | null) ?? null;
  const [[found]] = (await sequelize.query(
    'SELECT (SELECT name FROM categories WHERE id = :category) AS category, (SELECT field_schema FROM categories WHERE id = :category) AS field_schema, ' +
      '(SELECT name FROM departments WHERE id = :department) AS department, (SELECT name FROM teams WHERE id = :team) AS team, ' +
      '(SELECT name FROM users WHERE id = :assignee) AS assignee, (SELECT name FROM users WHERE id = :requester) AS requester',
    { replacements: { category: id('category_id'), department: id('department_id'), team: id('team_id'), assignee: id('assignee_id'), requester: id('requester_id') } },
  )) as unknown as [Array<Record<'category' | 'department' | 'team' | 'assignee' | 'requester', string | null> & { field_schema: unknown }>];
  const one = (key: string, name: string | null | undefined) => new Map(id(key) !== null && name != null ? [[id(key)!, name]] : []);
  const user = new Map([...one('requester_id', found?.requester), ...one('assignee_id', found?.assignee)]);
  // A JSON column comes back from a plain query as text (SQLite, MariaDB) or parsed (MySQL 8).
  const schema = typeof found?.field_schema === 'string' ? JSON.parse(found.field_schema) : found?.field_schema;
  return {
    named: { category: one('category_id', found?.category), department: one('department_id', found?.department), team: one('team_id', found?.team), user },
    fieldSchema: (schema as FieldSpec[] | null | undefined) ?? [],
  };
}

export function summaryOf(r: Model, { category, department, team, user }: Names): TicketSummary {
  const get = <T>(key: string) => r.get(key) as T;
  return {
    number: get<number>('number'),
    title: get<string>('title'),
    status: get<TicketStatus>('status'),
    priority: get<Priority>('priority'),
    channel: get<string>('channel'),
    categoryId: get<number>('category_id'),
    categoryName: category.get(get<number>('category_id')) ?? null,
    departmentId: get<number>('department_id'),
    departmentName: department.get(get<number>('department_id')) ?? null,
    teamId: get<number | null>('team_id'),
    teamName: team.get(get<number>('team_id')) ?? null,
    assigneeId: get<number | null>('assignee_id'),
    assigneeName: user.get(get<number>('assignee_id')) ?? null,
    requesterId: get<number>('requester_id'),
    requesterName: user.get(get<number>('requester_id')) ?? null,
    slaBreached: Boolean(get('sla_breached')),
    createdAt: iso(get('created_at'))!,
    updatedAt: iso(get('updated_at'))!,
    resolvedAt: iso(get('resolved_at')),
    closedAt: iso(get('closed_at')),
    firstResponseDue: iso(get('first_response_due')),
    resolutionDue: iso(get('resolution_due')),
    version: get<number>('seq'),
  };
}
