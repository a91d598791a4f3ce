import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { ApprovalRule, ApprovalStepRule } from '../../workflows/domain/approvals';
import type { FieldError } from '../errors';
import type { FieldSpec } from '../custom-fields';

/**
 * The approval rule a category's tickets snapshot when they start (lib/db/config-snapshot.ts
 * resolves it with workflows/domain/approvals.ts). Everything the workflow would trip over
 * is refused here: unknown approver kinds, empty chains, quorums nobody can reach,
 * timeouts that are not positive or escalate before they remind, overlapping branches,
 * and references to people, departments, groups or fields that do not exist.
 */
const Hours = z.number().positive().max(2000);
const Approvers = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('requester_manager') }),
  z.strictObject({ kind: z.literal('department_head'), departmentId: z.number().int().positive().optional() }),
  z.strictObject({ kind: z.literal('role_in_department'), role: z.enum(['requester', 'agent', 'manager', 'lead', 'admin']), departmentId: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('users'), userIds: z.array(z.number().int().positive()).min(1).max(50) }),
  z.strictObject({ kind: z.literal('group'), group: z.string().trim().min(1).max(64) }),
]);
const Step = z.strictObject({
  name: z.string().trim().min(1).max(120),
  approvers: Approvers,
  mode: z.enum(['any', 'all', 'quorum']),
  quorum: z.number().int().min(1).max(50).optional(),
  remindAfterHours: Hours.optional(),
  escalateAfterHours: Hours.optional(),
  /** A step the org chart leaves with nobody eligible moves up (escalate, the default) or is skipped; never a refused request. */
  whenNobodyEligible: z.enum(['skip', 'escalate']).optional(),
});
const Steps = z.array(Step).min(1, 'must have at least one step').max(10);
export const ApprovalRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('chain'), steps: Steps }),
  z.strictObject({
    kind: z.literal('conditional'),
    field: z.string().min(1).max(64),
    branches: z.array(z.strictObject({ min: z.number().optional(), below: z.number().optional(), steps: Steps })).min(1).max(10),
  }),
]);
export const ApprovalRuleBody = z.strictObject({ rule: ApprovalRuleSchema.nullable(), expectedVersion: z.number().int().min(1) });

function stepErrors(steps: ApprovalStepRule[], at: string): FieldError[] {
  const errors: FieldError[] = [];
  steps.forEach((step, i) => {
    const here = `${at}.${i}`;
    if (step.mode === 'quorum' && step.quorum === undefined) errors.push({ field: `${here}.quorum`, message: 'is required when the mode is quorum' });
    if (step.mode !== 'quorum' && step.quorum !== undefined) errors.push({ field: `${here}.quorum`, message: 'applies only when the mode is quorum' });
    if (step.mode === 'quorum' && step.approvers.kind === 'users' && (step.quorum ?? 0) > step.approvers.userIds.length) {
      errors.push({ field: `${here}.quorum`, message: `cannot exceed the ${step.approvers.userIds.length} named approvers` });
    }
    if (step.remindAfterHours !== undefined && step.escalateAfterHours !== undefined && step.escalateAfterHours <= step.remindAfterHours) {
      errors.push({ field: `${here}.escalateAfterHours`, message: 'must be later than remindAfterHours' });
    }
    if (step.approvers.kind === 'users' && new Set(step.approvers.userIds).size !== step.approvers.userIds.length) {
      errors.push({ field: `${here}.approvers.userIds`, message: 'must not name anyone twice' });
    }
  });
  return errors;
}

/** Rule-internal problems (no database needed). */
export function ruleShapeErrors(rule: ApprovalRule, fields: FieldSpec[]): FieldError[] {
  if (rule.kind === 'none') return [];
  if (rule.kind === 'chain') return stepErrors(rule.steps, 'rule.steps');
  const errors: FieldError[] = [];
  const field = fields.find((f) => f.key === rule.field);
  if (!field || (field.type !== 'number' && field.type !== 'money')) {
    errors.push({ field: 'rule.field', message: 'must be a number or money field of this category' });
  } else if (!field.required) {
    // An absent value could not choose a branch; the ticket would be refused at creation.
    errors.push({ field: 'rule.field', message: `must be a required field (make "${field.key}" required first)` });
  }
  rule.branches.forEach((b, i) => {
    if (b.min !== undefined && b.below !== undefined && b.min >= b.below) errors.push({ field: `rule.branches.${i}.below`, message: 'must be above min' });
    errors.push(...stepErrors(b.steps, `rule.branches.${i}.steps`));
  });
  const ranges = rule.branches.map((b, i) => ({ i, lo: b.min ?? -Infinity, hi: b.below ?? Infinity })).sort((a, b) => a.lo - b.lo);
  for (let k = 1; k < ranges.length; k++) {
    if (ranges[k]!.lo < ranges[k - 1]!.hi) errors.push({ field: `rule.branches.${ranges[k]!.i}`, message: `overlaps branch ${ranges[k - 1]!.i}` });
  }
  return errors;
}

/** Problems with what the rule refers to: people, departments and groups that must exist. */
export async function ruleReferenceErrors(models: Models, rule: ApprovalRule): Promise<FieldError[]> {
  const located: Array<{ step: ApprovalStepRule; at: string }> =
    rule.kind === 'chain'
      ? rule.steps.map((step, i) => ({ step, at: `rule.steps.${i}` }))
      : rule.kind === 'conditional'
        ? rule.branches.flatMap((b, bi) => b.steps.map((step, i) => ({ step, at: `rule.branches.${bi}.steps.${i}` })))
        : [];
  const errors: FieldError[] = [];
  for (const { step, at } of located) {
    const source = step.approvers;
    if ((source.kind === 'department_head' && source.departmentId !== undefined) || source.kind === 'role_in_department') {
      const department = await models.Department.findByPk(source.departmentId!);
      if (!department) errors.push({ field: `${at}.approvers.departmentId`, message: 'is not a department' });
      else if (source.kind === 'department_head' && department.get('head_user_id') === null) {
        errors.push({ field: `${at}.approvers.departmentId`, message: 'has no head; set one first' });
      }
    }
    if (source.kind === 'users') {
      const found = await models.User.count({ where: { id: source.userIds, active: true } });
      if (found !== source.userIds.length) errors.push({ field: `${at}.approvers.userIds`, message: 'must all be active people in the directory' });
    }
    if (source.kind === 'group') {
      const members = (await models.ApprovalGroup.findByPk(source.group)) ? await models.ApprovalGroupMember.count({ where: { group_code: source.group } }) : -1;
      if (members < 0) errors.push({ field: `${at}.approvers.group`, message: 'is not an approval group' });
      else if (members === 0) errors.push({ field: `${at}.approvers.group`, message: 'has no members' });
    }
  }
  return errors;
}
