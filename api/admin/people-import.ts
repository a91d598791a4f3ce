import Papa from 'papaparse';
import { z } from 'zod';
import { ROLES, type Role } from '../../lib/claims';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { validationError } from '../errors';
import { createPeopleStore, type PersonColumns } from '../scim/people';
import type { PersonEffects } from '../scim/person-effects';

/**
 * A CSV import of people, for organisations without SCIM. One header row; columns
 * email (required, the key), name (required for a new person), title, department (name or
 * code), manager_email, location, vip (true/false), roles (separated by ";"), active.
 * Each row is created or updated on its own and answers with its own errors; managers are
 * set in a second pass so a file may name a manager further down. People the identity
 * provider owns are refused row by row (change them there).
 */
export const MAX_ROWS = 5000;
const COLUMNS = ['email', 'name', 'title', 'department', 'manager_email', 'location', 'vip', 'roles', 'active'] as const;
const Email = z.email().max(254);
const bool = (v: string | undefined): boolean | undefined | 'bad' => {
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim().toLowerCase();
  return ['true', 'yes', '1'].includes(t) ? true : ['false', 'no', '0'].includes(t) ? false : 'bad';
};

export interface RowOutcome {
  row: number;
  email: string | null;
  outcome: 'created' | 'updated' | 'unchanged' | 'failed';
  errors: Array<{ field: string; message: string }>;
}

export async function importPeople(models: Models, effects: PersonEffects, actor: UserProfile, csv: string): Promise<{ rows: RowOutcome[]; created: number; updated: number; failed: number }> {
  const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim().toLowerCase() });
  const headers = parsed.meta.fields ?? [];
  const unknown = headers.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (!headers.includes('email') || unknown.length) {
    throw validationError([{ field: 'file', message: `needs an email column; known columns are ${COLUMNS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}` }], 'The CSV header is not usable');
  }
  if (parsed.data.length > MAX_ROWS) throw validationError([{ field: 'file', message: `has more than ${MAX_ROWS} rows; split it` }]);
  const people = createPeopleStore(models);
  const who = { userId: actor.id, label: `csv import by ${actor.name}` };
  const departments = await models.Department.findAll();
  const departmentId = (v: string) => departments.find((d) => String(d.get('name')).toLowerCase() === v.toLowerCase() || String(d.get('code')).toLowerCase() === v.toLowerCase())?.get('id') as number | undefined;
  const rows: RowOutcome[] = [];
  const managers: Array<{ outcome: RowOutcome; id: number; managerEmail: string }> = [];
  const parseErrors = new Map<number, string>();
  for (const e of parsed.errors) if (e.row !== undefined) parseErrors.set(e.row, e.message);

  for (const [index, raw] of parsed.data.entries()) {
    const row = index + 2; // the header is line 1
    const cell = (k: string) => raw[k]?.trim() ?? '';
    const outcome: RowOutcome = { row, email: cell('email').toLowerCase() || null, outcome: 'failed', errors: [] };
    rows.push(outcome);
    const err = (field: string, message: string) => outcome.errors.push({ field, message });
    if (parseErrors.has(index)) err('row', parseErrors.get(index)!);
    if (!Email.safeParse(outcome.email).success) err('email', 'is not an email address');
    const existing = outcome.email ? await people.findByEmail(outcome.email) : undefined;
    if (existing?.scimManaged) err('email', 'belongs to a person the identity provider (SCIM) owns; change them there');
    if (!existing && !cell('name')) err('name', 'is required for a new person');
    const columns: PersonColumns = {};
    if (cell('name')) columns.name = cell('name').slice(0, 120);
    if (cell('title')) columns.title = cell('title').slice(0, 120);
    if (cell('location')) columns.location = cell('location').slice(0, 80);
    if (cell('department')) {
      const id = departmentId(cell('department'));
      if (id === undefined) err('department', `"${cell('department')}" is not a department`);
      else columns.department_id = id;
    }
    for (const key of ['vip', 'active'] as const) {
      const value = bool(raw[key]);
      if (value === 'bad') err(key, 'must be true or false');
      else if (value !== undefined) columns[key] = value;
    }
    if (cell('roles')) {
      const roles = cell('roles').split(';').map((r) => r.trim()).filter(Boolean);
      const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (bad.length) err('roles', `unknown role ${bad.join(', ')} (roles: ${ROLES.join(', ')})`);
      else columns.roles = [...new Set<Role>(['requester', ...(roles as Role[])])];
    }
    const managerEmail = cell('manager_email').toLowerCase();
    if (managerEmail && !Email.safeParse(managerEmail).success) err('manager_email', 'is not an email address');
    if (outcome.errors.length) continue;
    if (existing) {
      const { before, after } = await people.update(who, existing.id, columns, undefined, 'csv_import');
      outcome.outcome = 'updated';
      await effects.afterChange(who.label, before, after);
      if (managerEmail) managers.push({ outcome, id: existing.id, managerEmail });
    } else {
      const created = await people.create(who, { email: outcome.email!, ...columns });
      outcome.outcome = 'created';
      if (managerEmail) managers.push({ outcome, id: created.id, managerEmail });
    }
  }
  for (const m of managers) {
    const manager = await people.findByEmail(m.managerEmail);
    if (!manager || !manager.active) {
      m.outcome.errors.push({ field: 'manager_email', message: 'is not an active person in the directory (the rest of the row was saved)' });
      continue;
    }
    if (manager.id === m.id) {
      m.outcome.errors.push({ field: 'manager_email', message: 'cannot be the person themselves (the rest of the row was saved)' });
      continue;
    }
    await people.update(who, m.id, { manager_id: manager.id }, undefined, 'csv_import');
  }
  return {
    rows,
    created: rows.filter((r) => r.outcome === 'created').length,
    updated: rows.filter((r) => r.outcome === 'updated').length,
    failed: rows.filter((r) => r.outcome === 'failed').length,
  };
}
