import { z } from 'zod';
import type { Model } from 'sequelize';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { createAudited, Code, ensureCodeFree, ExpectedVersion, Name, rejectIf, versionedUpdate, type VersionedEdit } from './versioned';

/** The head approves "department head" steps of tickets started after the change. */
export const DepartmentEditBody = z.strictObject({
  name: Name,
  headUserId: z.number().int().positive().nullable(),
  expectedVersion: ExpectedVersion,
});
// The code is fixed once created: search attributes and reports key on it.
export const DepartmentCreateBody = z.strictObject({ code: Code, name: Name, headUserId: z.number().int().positive().nullable().default(null) });

function view(row: Model) {
  return {
    id: row.get('id') as number,
    code: row.get('code') as string,
    name: row.get('name') as string,
    headUserId: (row.get('head_user_id') as number | null) ?? null,
    version: row.get('version') as number,
  };
}

export function createDepartmentAdmin(models: Models) {
  const edit: VersionedEdit<ReturnType<typeof view>> = { model: models.Department, entity: 'department', label: 'Department', view };

  async function checkHead(headUserId: number | null) {
    if (headUserId === null) return;
    const head = await models.User.findOne({ where: { id: headUserId, active: true } });
    rejectIf(head ? [] : [{ field: 'headUserId', message: 'is not an active person in the directory' }], 'The department is not usable');
  }

  return {
    async list(page: number, limit: number) {
      const { rows, count } = await models.Department.findAndCountAll({ order: [['id', 'ASC']], limit, offset: (page - 1) * limit });
      return { items: rows.map(view), total: count };
    },
    async create(actor: UserProfile, body: z.infer<typeof DepartmentCreateBody>) {
      await checkHead(body.headUserId);
      await ensureCodeFree(models.Department, body.code);
      return createAudited(models, actor, edit, { code: body.code, name: body.name, head_user_id: body.headUserId });
    },
    async update(actor: UserProfile, id: number, body: z.infer<typeof DepartmentEditBody>) {
      await checkHead(body.headUserId);
      return versionedUpdate(models, actor, edit, id, body.expectedVersion, { name: body.name, head_user_id: body.headUserId });
    },
  };
}
