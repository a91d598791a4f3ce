import { Op, type Model } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { notFound, type FieldError } from '../errors';
import { audit } from './audit';
import type { MembershipFanOut } from './team-membership';
import { claimVersion, Code, createAudited, ensureCodeFree, ExpectedVersion, Name, rejectIf, versionedUpdate, type VersionedEdit } from './versioned';
import { writeTransactionOptions } from '../../lib/db/deadlock';

/**
 * Teams and their members. Members are part of the team's configuration: every
 * membership change bumps the team's version, so one expectedVersion guards both.
 * Teams are never deleted: tickets and their history name them.
 */
const Strategy = z.enum(['queue', 'round_robin', 'least_loaded']);
const TeamFields = {
  name: Name,
  departmentId: z.number().int().positive(),
  calendarId: z.number().int().positive().nullable(),
  assignmentStrategy: Strategy,
};
export const TeamCreateBody = z.strictObject({ code: Code, ...TeamFields, calendarId: TeamFields.calendarId.default(null), assignmentStrategy: Strategy.default('queue') });
export const TeamEditBody = z.strictObject({ ...TeamFields, expectedVersion: ExpectedVersion });
/** Adds the person, or changes their membership. Leads are who "assign to backup" hands tickets to. */
export const MemberBody = z.strictObject({
  membership: z.enum(['agent', 'lead']),
  onShift: z.boolean().default(true),
  expectedVersion: ExpectedVersion,
});

export function createTeamAdmin(models: Models, fanOut: MembershipFanOut) {
  async function view(row: Model) {
    const id = row.get('id') as number;
    const members = await models.TeamMember.findAll({ where: { team_id: id }, order: [['user_id', 'ASC']] });
    return {
      id,
      code: row.get('code') as string,
      name: row.get('name') as string,
      departmentId: row.get('department_id') as number,
      calendarId: (row.get('calendar_id') as number | null) ?? null,
      assignmentStrategy: row.get('assignment_strategy') as string,
      members: members.map((m) => ({ userId: m.get('user_id') as number, membership: m.get('membership') as string, onShift: Boolean(m.get('on_shift')) })),
      version: row.get('version') as number,
    };
  }
  const edit: VersionedEdit<Awaited<ReturnType<typeof view>>> = { model: models.Team, entity: 'team', label: 'Team', view };

  async function checkReferences(body: { departmentId: number; calendarId: number | null }) {
    const errors: FieldError[] = [];
    if (!(await models.Department.findByPk(body.departmentId))) errors.push({ field: 'departmentId', message: 'is not a department' });
    if (body.calendarId !== null && !(await models.BusinessCalendar.findByPk(body.calendarId))) errors.push({ field: 'calendarId', message: 'is not a business calendar' });
    rejectIf(errors, 'The team is not usable');
  }

  /** One membership change: claim the team's next version, write, audit; all or nothing. */
  async function changeMembers(actor: UserProfile, teamId: number, userId: number, expectedVersion: number, action: string, write: (t: import('sequelize').Transaction) => Promise<void>) {
    const before = await models.Team.findByPk(teamId);
    if (!before) throw notFound('Team');
    const beforeView = await view(before);
    await models.Team.sequelize!.transaction(writeTransactionOptions(models.Team.sequelize!), async (transaction) => {
      await claimVersion(models.Team, teamId, expectedVersion, 'Team', transaction);
      await write(transaction);
    });
    const after = await view((await models.Team.findByPk(teamId))!);
    await audit(models, actor, 'team', teamId, action, beforeView, after);
    // The team's open tickets escalate to its leads and accept assignees from its members as they are now.
    await fanOut.teamsChanged([teamId], `${action.replace('_', ' ')}: person #${userId}, by ${actor.name}`);
    return after;
  }

  return {
    async list(page: number, limit: number) {
      const { rows, count } = await models.Team.findAndCountAll({ order: [['id', 'ASC']], limit, offset: (page - 1) * limit });
      return { items: await Promise.all(rows.map(view)), total: count };
    },
    async get(id: number) {
      const row = await models.Team.findByPk(id);
      if (!row) throw notFound('Team');
      return view(row);
    },
    async create(actor: UserProfile, body: z.infer<typeof TeamCreateBody>) {
      await checkReferences(body);
      await ensureCodeFree(models.Team, body.code);
      return createAudited(models, actor, edit, {
        code: body.code,
        name: body.name,
        department_id: body.departmentId,
        calendar_id: body.calendarId,
        assignment_strategy: body.assignmentStrategy,
      });
    },
    async update(actor: UserProfile, id: number, body: z.infer<typeof TeamEditBody>) {
      await checkReferences(body);
      return versionedUpdate(models, actor, edit, id, body.expectedVersion, {
        name: body.name,
        department_id: body.departmentId,
        calendar_id: body.calendarId,
        assignment_strategy: body.assignmentStrategy,
      });
    },
    async putMember(actor: UserProfile, teamId: number, userId: number, body: z.infer<typeof MemberBody>) {
      const user = await models.User.findOne({ where: { id: userId, active: true } });
      const roles = (user?.get('roles') as string[] | undefined) ?? [];
      // Only agents and leads work queues: anyone else would be assigned tickets they cannot see.
      rejectIf(
        !user ? [{ field: 'userId', message: 'is not an active person in the directory' }] : roles.some((r) => r === 'agent' || r === 'lead') ? [] : [{ field: 'userId', message: 'must hold the agent or lead role' }],
        'The membership is not usable',
      );
      const existing = await models.TeamMember.findOne({ where: { team_id: teamId, user_id: userId } });
      return changeMembers(actor, teamId, userId, body.expectedVersion, existing ? 'member_changed' : 'member_added', async (transaction) => {
        if (existing) await models.TeamMember.update({ membership: body.membership, on_shift: body.onShift }, { where: { team_id: teamId, user_id: userId }, transaction });
        else await models.TeamMember.create({ team_id: teamId, user_id: userId, membership: body.membership, on_shift: body.onShift }, { transaction });
      });
    },
    /** Open tickets assigned to the person keep their assignee (history is not rewritten); nobody can assign them the team's tickets any more. */
    async removeMember(actor: UserProfile, teamId: number, userId: number, expectedVersion: number) {
      if (!(await models.TeamMember.findOne({ where: { team_id: teamId, user_id: { [Op.eq]: userId } } }))) {
        if (!(await models.Team.findByPk(teamId))) throw notFound('Team');
        throw notFound('Team member');
      }
      return changeMembers(actor, teamId, userId, expectedVersion, 'member_removed', async (transaction) => {
        await models.TeamMember.destroy({ where: { team_id: teamId, user_id: userId }, transaction });
      });
    },
  };
}
