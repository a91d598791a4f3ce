import { Op, type Model, type Transaction } from 'sequelize';
import type { Role } from '../../lib/claims';
import type { Models } from '../../lib/db/models';

/**
 * The directory's writes on behalf of the identity provider (SCIM) and the admin console:
 * one row per person, a version bumped on every change, every change audited with who
 * made it and the person before and after. Nobody is ever deleted: tickets and their
 * history name people, so leaving means `active: false`.
 */

export interface PersonView {
  id: number;
  email: string;
  userName: string | null;
  externalId: string | null;
  name: string;
  title: string | null;
  departmentId: number | null;
  managerId: number | null;
  location: string | null;
  vip: boolean;
  employeeNumber: string | null;
  roles: Role[];
  active: boolean;
  scimManaged: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Who made a change: a person (their id), or a machine client such as the SCIM client (a label). */
export type ChangeActor = { userId: number; label?: string } | { userId: null; label: string };

export function personView(row: Model): PersonView {
  const s = (k: string) => (row.get(k) as string | null) ?? null;
  return {
    id: row.get('id') as number,
    email: row.get('email') as string,
    userName: s('user_name'),
    externalId: s('external_id'),
    name: row.get('name') as string,
    title: s('title'),
    departmentId: (row.get('department_id') as number | null) ?? null,
    managerId: (row.get('manager_id') as number | null) ?? null,
    location: s('location'),
    vip: Boolean(row.get('vip')),
    employeeNumber: s('employee_number'),
    roles: (row.get('roles') as Role[]) ?? [],
    active: Boolean(row.get('active')),
    scimManaged: Boolean(row.get('scim_managed')),
    version: row.get('version') as number,
    createdAt: new Date(row.get('created_at') as string).toISOString(),
    updatedAt: new Date(row.get('updated_at') as string).toISOString(),
  };
}

/** Machine actors have no user row; actor_id 0 marks them and actor_label says which client it was. */
export async function auditChange(models: Models, actor: ChangeActor, entity: string, entityId: number | string, action: string, before: unknown, after: unknown, transaction?: Transaction) {
  await models.AuditLog.create(
    { actor_id: actor.userId ?? 0, actor_label: actor.label ?? null, entity, entity_id: String(entityId), action, before: before ?? null, after: after ?? null, at: new Date() },
    { transaction },
  );
}

/** Columns a write may set, in the users table's names. */
export type PersonColumns = Partial<{
  email: string;
  user_name: string | null;
  external_id: string | null;
  name: string;
  title: string | null;
  department_id: number | null;
  manager_id: number | null;
  location: string | null;
  vip: boolean;
  employee_number: string | null;
  roles: Role[];
  active: boolean;
  scim_managed: boolean;
}>;

export class StaleVersion extends Error {
  override name = 'StaleVersion';
}
export class NotFound extends Error {
  override name = 'NotFound';
}

export function createPeopleStore(models: Models) {
  return {
    async get(id: number, transaction?: Transaction): Promise<PersonView | undefined> {
      const row = await models.User.findByPk(id, { transaction });
      return row ? personView(row) : undefined;
    },
    async create(actor: ChangeActor, values: PersonColumns, transaction?: Transaction): Promise<PersonView> {
      const row = await models.User.create({ roles: ['requester'], active: true, vip: false, scim_managed: false, ...values, version: 1 }, { transaction });
      const after = personView(row);
      await auditChange(models, actor, 'user', after.id, 'create', null, after, transaction);
      return after;
    },
    /**
     * Writes `values` if the person is still at `expectedVersion` (when given): one conditional
     * UPDATE, so two writers cannot both win. Returns before and after for the caller's effects.
     */
    async update(actor: ChangeActor, id: number, values: PersonColumns, expectedVersion: number | undefined, action = 'update', transaction?: Transaction) {
      const row = await models.User.findByPk(id, { transaction });
      if (!row) throw new NotFound(`No person ${id}`);
      const before = personView(row);
      const version = expectedVersion ?? before.version;
      const [updated] = await models.User.update({ ...values, version: version + 1 }, { where: { id, version }, transaction });
      if (updated === 0) throw new StaleVersion(`The person changed since version ${version}`);
      const after = personView((await models.User.findByPk(id, { transaction }))!);
      await auditChange(models, actor, 'user', id, action, before, after, transaction);
      return { before, after };
    },
    async findByEmail(email: string, transaction?: Transaction) {
      const row = await models.User.findOne({ where: { email: email.toLowerCase() }, transaction });
      return row ? personView(row) : undefined;
    },
    async findConflict(field: 'email' | 'user_name', value: string, exceptId: number | null) {
      const row = await models.User.findOne({ where: { [field]: value, ...(exceptId ? { id: { [Op.ne]: exceptId } } : {}) } });
      return row ? personView(row) : undefined;
    },
  };
}

export type PeopleStore = ReturnType<typeof createPeopleStore>;
