import type { Model } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import type { ApprovalRule } from '../../workflows/domain/approvals';
import { fieldSchemaErrors, FieldSchemaBody, type FieldSpec } from '../custom-fields';
import { notFound, type FieldError } from '../errors';
import { ApprovalRuleBody, ruleReferenceErrors, ruleShapeErrors } from './approval-rules';
import { Code, createAudited, ensureCodeFree, ExpectedVersion, Name, rejectIf, versionedUpdate, type VersionedEdit } from './versioned';

/**
 * Categories, their custom-field schemas and approval rules. A category tickets refer to
 * is archived (active: false), never deleted: it leaves the catalog, history keeps it.
 * Edits apply to tickets raised afterwards; running tickets keep their snapshot.
 */
const CategoryFields = {
  name: Name,
  departmentId: z.number().int().positive(),
  parentId: z.number().int().positive().nullable(),
  defaultTeamId: z.number().int().positive().nullable(),
};
export const CategoryCreateBody = z.strictObject({
  code: Code,
  ...CategoryFields,
  parentId: CategoryFields.parentId.default(null),
  defaultTeamId: CategoryFields.defaultTeamId.default(null),
  fields: FieldSchemaBody.default([]),
});
export const CategoryEditBody = z.strictObject({ ...CategoryFields, active: z.boolean(), expectedVersion: ExpectedVersion });
export const FieldSchemaEditBody = z.strictObject({ fields: FieldSchemaBody, expectedVersion: ExpectedVersion });
export { ApprovalRuleBody };

function view(row: Model) {
  return {
    id: row.get('id') as number,
    code: row.get('code') as string,
    name: row.get('name') as string,
    departmentId: row.get('department_id') as number,
    parentId: (row.get('parent_id') as number | null) ?? null,
    defaultTeamId: (row.get('default_team_id') as number | null) ?? null,
    fields: row.get('field_schema') as FieldSpec[],
    approvalRule: (row.get('approval_rule') as ApprovalRule | null) ?? null,
    active: Boolean(row.get('active')),
    version: row.get('version') as number,
  };
}

/** Drops keys zod left undefined so the stored JSON stays tidy and stable. */
function tidy(fields: z.infer<typeof FieldSchemaBody>): FieldSpec[] {
  return fields.map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as FieldSpec);
}

export function createCategoryAdmin(models: Models) {
  const edit: VersionedEdit<ReturnType<typeof view>> = { model: models.Category, entity: 'category', label: 'Category', view };

  async function referenceErrors(body: { departmentId: number; parentId: number | null; defaultTeamId: number | null }, selfId?: number): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (!(await models.Department.findByPk(body.departmentId))) errors.push({ field: 'departmentId', message: 'is not a department' });
    if (body.defaultTeamId !== null && !(await models.Team.findByPk(body.defaultTeamId))) errors.push({ field: 'defaultTeamId', message: 'is not a team' });
    // Walk up from the proposed parent: reaching this category again would make a cycle.
    for (let at = body.parentId, depth = 0; at !== null; depth++) {
      if (at === selfId || depth > 20) {
        errors.push({ field: 'parentId', message: 'would make the category its own ancestor' });
        break;
      }
      const parent: Model | null = await models.Category.findByPk(at);
      if (!parent) {
        errors.push({ field: 'parentId', message: 'is not a category' });
        break;
      }
      at = (parent.get('parent_id') as number | null) ?? null;
    }
    return errors;
  }

  async function current(id: number) {
    const row = await models.Category.findByPk(id);
    if (!row) throw notFound('Category');
    return view(row);
  }

  return {
    async list(page: number, limit: number, includeArchived: boolean) {
      const { rows, count } = await models.Category.findAndCountAll({
        where: includeArchived ? {} : { active: true },
        order: [['id', 'ASC']],
        limit,
        offset: (page - 1) * limit,
      });
      return { items: rows.map(view), total: count };
    },
    get: current,
    async create(actor: UserProfile, body: z.infer<typeof CategoryCreateBody>) {
      const fields = tidy(body.fields);
      rejectIf([...(await referenceErrors(body)), ...fieldSchemaErrors(fields)], 'The category is not usable');
      await ensureCodeFree(models.Category, body.code);
      return createAudited(models, actor, edit, {
        code: body.code,
        name: body.name,
        department_id: body.departmentId,
        parent_id: body.parentId,
        default_team_id: body.defaultTeamId,
        field_schema: fields,
        approval_rule: null,
        active: true,
      });
    },
    async update(actor: UserProfile, id: number, body: z.infer<typeof CategoryEditBody>) {
      rejectIf(await referenceErrors(body, id), 'The category is not usable');
      return versionedUpdate(
        models,
        actor,
        edit,
        id,
        body.expectedVersion,
        { name: body.name, department_id: body.departmentId, parent_id: body.parentId, default_team_id: body.defaultTeamId, active: body.active },
        body.active ? 'update' : 'archive',
      );
    },
    /** Existing tickets keep their values; new and edited values are checked against this schema. */
    async updateFields(actor: UserProfile, id: number, body: z.infer<typeof FieldSchemaEditBody>) {
      const fields = tidy(body.fields);
      const category = await current(id);
      const errors = fieldSchemaErrors(fields);
      // A conditional approval rule reads one of these fields: it must stay a required number.
      if (category.approvalRule) {
        for (const e of ruleShapeErrors(category.approvalRule, fields).filter((p) => p.field === 'rule.field')) {
          errors.push({ field: 'fields', message: `the approval rule ${e.message.replace('must be', 'needs')} ("${(category.approvalRule as { field?: string }).field}")` });
        }
      }
      rejectIf(errors, 'The field schema is not usable');
      return versionedUpdate(models, actor, edit, id, body.expectedVersion, { field_schema: fields }, 'update_fields');
    },
    async updateApprovalRule(actor: UserProfile, id: number, body: z.infer<typeof ApprovalRuleBody>) {
      const category = await current(id);
      const rule = body.rule as ApprovalRule | null;
      if (rule) rejectIf([...ruleShapeErrors(rule, category.fields), ...(await ruleReferenceErrors(models, rule))], 'The approval rule could not run');
      return versionedUpdate(models, actor, edit, id, body.expectedVersion, { approval_rule: rule }, 'update_approval_rule');
    },
  };
}
