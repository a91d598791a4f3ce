import type { Model, ModelStatic, Transaction } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { ApiError, notFound, validationError, type FieldError } from '../errors';
import { audit } from './audit';

/** Shared steps of every admin edit: version check, write, audit with before and after. */

export const ExpectedVersion = z.number().int().min(1);
/** DELETE carries its version in the query string (bodies on DELETE are not dependable through proxies). */
export const VersionQuery = z.strictObject({ expectedVersion: z.coerce.number().int().min(1) });

export function stale(what: string, expectedVersion: number): ApiError {
  return new ApiError(409, 'STALE_VERSION', `The ${what} changed since version ${expectedVersion}; reload it`, [{ field: 'expectedVersion', message: 'is stale' }]);
}

export function rejectIf(errors: FieldError[], message: string): void {
  if (errors.length > 0) throw validationError(errors, message);
}

export interface VersionedEdit<V> {
  model: ModelStatic<Model>;
  /** Audit entity name and what to call it in messages. */
  entity: string;
  label: string;
  view: (row: Model) => V | Promise<V>;
}

/**
 * Writes `values` only if the row is still at `expectedVersion` (one conditional UPDATE,
 * so two admins saving at once cannot both win), bumps the version and audits the change.
 */
export async function versionedUpdate<V>(
  models: Models,
  actor: UserProfile,
  edit: VersionedEdit<V>,
  id: number,
  expectedVersion: number,
  values: Record<string, unknown>,
  action = 'update',
): Promise<V> {
  const row = await edit.model.findByPk(id);
  if (!row) throw notFound(edit.label);
  const before = await edit.view(row);
  const [updated] = await edit.model.update({ ...values, version: expectedVersion + 1 }, { where: { id, version: expectedVersion } });
  if (updated === 0) throw stale(edit.label.toLowerCase(), expectedVersion);
  const after = await edit.view((await edit.model.findByPk(id))!);
  await audit(models, actor, edit.entity, id, action, before, after);
  return after;
}

/** Claims the row's next version inside a transaction, for changes spread over several tables. */
export async function claimVersion(model: ModelStatic<Model>, id: number, expectedVersion: number, label: string, transaction: Transaction): Promise<void> {
  const [updated] = await model.update({ version: expectedVersion + 1 }, { where: { id, version: expectedVersion }, transaction });
  if (updated === 0) {
    if (!(await model.findByPk(id, { transaction }))) throw notFound(label);
    throw stale(label.toLowerCase(), expectedVersion);
  }
}

export async function createAudited<V>(models: Models, actor: UserProfile, edit: VersionedEdit<V>, values: Record<string, unknown>): Promise<V> {
  const row = await edit.model.create({ ...values, version: 1 });
  const after = await edit.view(row);
  await audit(models, actor, edit.entity, row.get('id') as number, 'create', null, after);
  return after;
}

/** Codes are unique; a taken one is a conflict naming the field rather than a database error. */
export async function ensureCodeFree(model: ModelStatic<Model>, code: string): Promise<void> {
  if (await model.findOne({ where: { code } })) throw new ApiError(409, 'DUPLICATE', `The code "${code}" is already in use`, [{ field: 'code', message: 'is already in use' }]);
}

export const Code = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'must be 1–32 letters, digits, - or _');
export const Name = z.string().trim().min(1).max(120);
