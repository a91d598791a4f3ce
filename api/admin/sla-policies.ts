import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { validatePolicy } from '../../workflows/domain/sla-clock';
import { STATUSES } from '../../workflows/domain/types';
import { ApiError, notFound, validationError } from '../errors';
import { audit } from './audit';

export const SlaPolicyBody = z.strictObject({
  firstResponseMinutes: z.number(),
  resolutionMinutes: z.number(),
  clock: z.enum(['business', '24x7']),
  pauseStatuses: z.array(z.enum(STATUSES)).max(STATUSES.length),
  ladder: z
    .array(
      z.strictObject({
        afterMinutes: z.number(),
        action: z.enum(['notify_role', 'assign_backup', 'bump_priority', 'page_oncall']),
        clock: z.enum(['first_response', 'resolution']).optional(),
        role: z.string().trim().min(1).max(48).optional(),
      }),
    )
    .max(20),
  version: z.number().int().min(1),
});
export type SlaPolicyBody = z.infer<typeof SlaPolicyBody>;

function view(row: { get(key: string): unknown }) {
  return {
    id: row.get('id') as number,
    departmentId: row.get('department_id') as number,
    teamId: (row.get('team_id') as number | null) ?? null,
    priority: row.get('priority') as string,
    firstResponseMinutes: row.get('first_response_minutes') as number,
    resolutionMinutes: row.get('resolution_minutes') as number,
    clock: row.get('clock') as string,
    pauseStatuses: row.get('pause_statuses') as string[],
    ladder: row.get('escalation_ladder') as unknown[],
    version: row.get('version') as number,
  };
}

/**
 * SLA policies apply to tickets created after the edit: a running ticket keeps the
 * policy snapshotted when it started, so its history stays explainable.
 */
export function createSlaPolicyAdmin({ models }: { models: Models }) {
  return {
    async list() {
      return (await models.SlaPolicy.findAll({ order: [['department_id', 'ASC'], ['id', 'ASC']] })).map(view);
    },
    async update(actor: UserProfile, id: number, body: SlaPolicyBody) {
      const problems = validatePolicy(body);
      if (problems.length > 0) throw validationError(problems, 'The SLA policy is not usable');
      const row = await models.SlaPolicy.findByPk(id);
      if (!row) throw notFound('SLA policy');
      const before = view(row);
      const [updated] = await models.SlaPolicy.update(
        {
          first_response_minutes: body.firstResponseMinutes,
          resolution_minutes: body.resolutionMinutes,
          clock: body.clock,
          pause_statuses: body.pauseStatuses,
          escalation_ladder: body.ladder,
          version: body.version + 1,
        },
        { where: { id, version: body.version } },
      );
      if (updated === 0) throw new ApiError(409, 'STALE_VERSION', `The policy changed since version ${body.version}; reload it`, [{ field: 'version', message: 'is stale' }]);
      const after = view((await models.SlaPolicy.findByPk(id))!);
      await audit(models, actor, 'sla_policy', id, 'update', before, after);
      return after;
    },
  };
}
