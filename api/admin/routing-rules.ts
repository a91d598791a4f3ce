import { Op, type Model } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import type { RoutingConditions } from '../../workflows/domain/types';
import { notFound, validationError, type FieldError } from '../errors';
import { audit } from './audit';
import { createAudited, ExpectedVersion, Name, rejectIf, stale, versionedUpdate, type VersionedEdit } from './versioned';
import { writeTransactionOptions } from '../../lib/db/deadlock';

/**
 * Routing rules, evaluated in position order; the first whose every stated condition
 * holds picks the team (workflows/domain/routing.ts). New tickets use the rules as they
 * are when they start; a ticket's history records the rule that routed it by id and name,
 * so deleting a rule leaves that history intact.
 */
const Ids = z.array(z.number().int().positive()).min(1).max(100);
export const Conditions = z
  .strictObject({
    categoryIds: Ids.optional(),
    keywords: z.array(z.string().trim().min(1).max(80)).min(1).max(100).optional(),
    requesterDepartmentIds: Ids.optional(),
    requesterLocations: z.array(z.string().trim().min(1).max(80)).min(1).max(100).optional(),
    vip: z.boolean().optional(),
  })
  // A rule with no condition would take every ticket; the default team already does that.
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'must state at least one condition');
const RuleFields = { name: Name, conditions: Conditions, teamId: z.number().int().positive(), enabled: z.boolean() };
export const RoutingRuleCreateBody = z.strictObject({ ...RuleFields, enabled: RuleFields.enabled.default(true), position: z.number().int().min(1).optional() });
export const RoutingRuleEditBody = z.strictObject({ ...RuleFields, expectedVersion: ExpectedVersion });
/** The complete new order, every rule with the version the admin saw. */
export const RoutingOrderBody = z.strictObject({
  rules: z.array(z.strictObject({ id: z.number().int().positive(), expectedVersion: ExpectedVersion })).min(1).max(500),
});

function view(row: Model) {
  return {
    id: row.get('id') as number,
    position: row.get('position') as number,
    name: row.get('name') as string,
    conditions: row.get('conditions') as RoutingConditions,
    teamId: row.get('team_id') as number,
    enabled: Boolean(row.get('enabled')),
    version: row.get('version') as number,
  };
}

/** Strips conditions zod left undefined so stored rules compare (and snapshot) cleanly. */
function tidy(conditions: z.infer<typeof Conditions>): RoutingConditions {
  return Object.fromEntries(Object.entries(conditions).filter(([, v]) => v !== undefined)) as RoutingConditions;
}

export function createRoutingRuleAdmin(models: Models) {
  const edit: VersionedEdit<ReturnType<typeof view>> = { model: models.RoutingRule, entity: 'routing_rule', label: 'Routing rule', view };

  async function referenceErrors(body: { teamId: number; conditions: RoutingConditions }): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (!(await models.Team.findByPk(body.teamId))) errors.push({ field: 'teamId', message: 'is not a team' });
    const { categoryIds, requesterDepartmentIds } = body.conditions;
    if (categoryIds && (await models.Category.count({ where: { id: categoryIds } })) !== new Set(categoryIds).size) {
      errors.push({ field: 'conditions.categoryIds', message: 'must all be categories' });
    }
    if (requesterDepartmentIds && (await models.Department.count({ where: { id: requesterDepartmentIds } })) !== new Set(requesterDepartmentIds).size) {
      errors.push({ field: 'conditions.requesterDepartmentIds', message: 'must all be departments' });
    }
    return errors;
  }

  async function ordered() {
    return (await models.RoutingRule.findAll({ order: [['position', 'ASC'], ['id', 'ASC']] })).map(view);
  }

  return {
    async list(page: number, limit: number) {
      const { rows, count } = await models.RoutingRule.findAndCountAll({ order: [['position', 'ASC'], ['id', 'ASC']], limit, offset: (page - 1) * limit });
      return { items: rows.map(view), total: count };
    },
    async create(actor: UserProfile, body: z.infer<typeof RoutingRuleCreateBody>) {
      const conditions = tidy(body.conditions);
      rejectIf(await referenceErrors({ teamId: body.teamId, conditions }), 'The routing rule is not usable');
      const last = ((await models.RoutingRule.max('position')) as number | null) ?? 0;
      const position = Math.min(body.position ?? last + 1, last + 1);
      if (position <= last) {
        // Inserting in the middle moves the rules below down one place; each move is a version.
        await models.RoutingRule.increment({ position: 1, version: 1 }, { where: { position: { [Op.gte]: position } } });
      }
      return createAudited(models, actor, edit, { name: body.name, conditions, team_id: body.teamId, enabled: body.enabled, position });
    },
    async update(actor: UserProfile, id: number, body: z.infer<typeof RoutingRuleEditBody>) {
      const conditions = tidy(body.conditions);
      rejectIf(await referenceErrors({ teamId: body.teamId, conditions }), 'The routing rule is not usable');
      return versionedUpdate(models, actor, edit, id, body.expectedVersion, { name: body.name, conditions, team_id: body.teamId, enabled: body.enabled });
    },
    async remove(actor: UserProfile, id: number, expectedVersion: number) {
      const row = await models.RoutingRule.findByPk(id);
      if (!row) throw notFound('Routing rule');
      const before = view(row);
      const removed = await models.RoutingRule.destroy({ where: { id, version: expectedVersion } });
      if (removed === 0) throw stale('routing rule', expectedVersion);
      await audit(models, actor, 'routing_rule', id, 'delete', before, null);
      return { id, deleted: true };
    },
    /** Renumbers every rule 1..n in the order given; all or nothing, refused if any rule changed meanwhile. */
    async reorder(actor: UserProfile, body: z.infer<typeof RoutingOrderBody>) {
      const before = await ordered();
      const given = body.rules.map((r) => r.id);
      if (new Set(given).size !== given.length || given.length !== before.length || before.some((r) => !given.includes(r.id))) {
        throw validationError([{ field: 'rules', message: `must list each of the ${before.length} rules exactly once` }]);
      }
      await models.RoutingRule.sequelize!.transaction(writeTransactionOptions(models.RoutingRule.sequelize!), async (transaction) => {
        for (const [index, rule] of body.rules.entries()) {
          const [updated] = await models.RoutingRule.update(
            { position: index + 1, version: rule.expectedVersion + 1 },
            { where: { id: rule.id, version: rule.expectedVersion }, transaction },
          );
          if (updated === 0) throw stale(`routing rule ${rule.id}`, rule.expectedVersion);
        }
      });
      const after = await ordered();
      await audit(models, actor, 'routing_rule', 'order', 'reorder', before, after);
      return after;
    },
  };
}
