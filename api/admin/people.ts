import { searchText } from '../schemas';
import { Op } from 'sequelize';
import { z } from 'zod';
import { ROLES } from '../../lib/claims';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { notFound, validationError, type FieldError } from '../errors';
import { applyGroupMappings } from '../scim/access';
import { createPeopleStore, type ChangeActor, type PersonColumns, type PersonView } from '../scim/people';
import type { PersonEffects } from '../scim/person-effects';
import { ExpectedVersion, stale } from './versioned';
import { writeTransactionOptions } from '../../lib/db/deadlock';

/**
 * People in the admin console: search, view, edit with versions (409 on a stale one) and
 * audit. For people the identity provider owns (SCIM), the fields it provides are read-only
 * here: a change would be overwritten at its next sync, so the answer says where to make it.
 */
export const SCIM_OWNED_FIELDS = ['name', 'email', 'title', 'departmentId', 'managerId', 'location', 'active'] as const;

const Membership = z.strictObject({ teamId: z.number().int().positive(), membership: z.enum(['agent', 'lead']) });
export const PersonEditBody = z.strictObject({
  expectedVersion: ExpectedVersion,
  name: z.string().trim().min(1).max(120).optional(),
  email: z.email().max(254).optional(),
  title: z.string().trim().max(120).nullable().optional(),
  departmentId: z.number().int().positive().nullable().optional(),
  managerId: z.number().int().positive().nullable().optional(),
  location: z.string().trim().max(80).nullable().optional(),
  vip: z.boolean().optional(),
  active: z.boolean().optional(),
  roles: z.array(z.enum(ROLES)).min(1).optional(),
  teams: z.array(Membership).max(50).optional(),
});
export const PeopleQuery = z.strictObject({
  q: searchText(0, 120).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function createPeopleAdmin({ models, effects }: { models: Models; effects: PersonEffects }) {
  const people = createPeopleStore(models);
  const actorOf = (user: UserProfile): ChangeActor => ({ userId: user.id, label: `admin:${user.name}` });

  async function view(person: PersonView) {
    const [memberships, department, manager] = await Promise.all([
      models.TeamMember.findAll({ where: { user_id: person.id }, order: [['team_id', 'ASC']] }),
      person.departmentId === null ? null : models.Department.findByPk(person.departmentId),
      person.managerId === null ? null : models.User.findByPk(person.managerId),
    ]);
    return {
      ...person,
      department: department ? { id: department.get('id') as number, name: department.get('name') as string } : null,
      manager: manager ? { id: manager.get('id') as number, name: manager.get('name') as string } : null,
      teams: memberships.map((m) => ({ teamId: m.get('team_id') as number, membership: m.get('membership') as string })),
      /** Fields the console shows read-only, because the identity provider owns them. */
      readOnlyFields: person.scimManaged ? [...SCIM_OWNED_FIELDS] : [],
    };
  }

  async function checkReferences(id: number, body: z.infer<typeof PersonEditBody>): Promise<void> {
    const errors: FieldError[] = [];
    if (body.departmentId && !(await models.Department.findByPk(body.departmentId))) errors.push({ field: 'departmentId', message: 'is not a department' });
    if (body.managerId === id) errors.push({ field: 'managerId', message: 'cannot be the person themselves' });
    else if (body.managerId && !(await models.User.findOne({ where: { id: body.managerId, active: true } }))) errors.push({ field: 'managerId', message: 'is not an active person' });
    for (const [i, t] of (body.teams ?? []).entries()) if (!(await models.Team.findByPk(t.teamId))) errors.push({ field: `teams.${i}.teamId`, message: 'is not a team' });
    const roles = body.roles;
    if (body.teams?.length && roles && !roles.some((r) => r === 'agent' || r === 'lead')) errors.push({ field: 'teams', message: 'only agents and leads work team queues' });
    if (body.email && (await models.User.findOne({ where: { email: body.email.toLowerCase(), id: { [Op.ne]: id } } }))) errors.push({ field: 'email', message: 'belongs to another person' });
    if (errors.length) throw validationError(errors, 'The change is not usable');
  }

  return {
    async search(q: string | undefined, page: number, limit: number) {
      const like = q ? { [Op.or]: [{ name: { [Op.like]: `%${q}%` } }, { email: { [Op.like]: `%${q.toLowerCase()}%` } }] } : {};
      const { rows, count } = await models.User.findAndCountAll({ where: like, order: [['name', 'ASC'], ['id', 'ASC']], limit, offset: (page - 1) * limit });
      return { items: await Promise.all(rows.map((r) => people.get(r.get('id') as number).then((p) => view(p!)))), total: count };
    },
    async get(id: number) {
      const person = await people.get(id);
      if (!person) throw notFound('Person');
      return view(person);
    },
    async update(actor: UserProfile, id: number, body: z.infer<typeof PersonEditBody>) {
      const current = await people.get(id);
      if (!current) throw notFound('Person');
      if (current.scimManaged) {
        const owned = SCIM_OWNED_FIELDS.filter((f) => body[f] !== undefined);
        if (owned.length) throw validationError(owned.map((field) => ({ field, message: 'is owned by the identity provider (SCIM); change it there' })), 'This person is provisioned by the identity provider');
      }
      if (current.version !== body.expectedVersion) throw stale('person', body.expectedVersion);
      await checkReferences(id, { ...body, roles: body.roles ?? current.roles });
      const columns: PersonColumns = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.email !== undefined ? { email: body.email.toLowerCase() } : {}),
        ...(body.title !== undefined ? { title: body.title } : {}),
        ...(body.departmentId !== undefined ? { department_id: body.departmentId } : {}),
        ...(body.managerId !== undefined ? { manager_id: body.managerId } : {}),
        ...(body.location !== undefined ? { location: body.location } : {}),
        ...(body.vip !== undefined ? { vip: body.vip } : {}),
        ...(body.active !== undefined ? { active: body.active } : {}),
        ...(body.roles !== undefined ? { roles: [...new Set(body.roles)] } : {}),
      };
      let result;
      try {
        result = await people.update(actorOf(actor), id, columns, body.expectedVersion);
      } catch (err) {
        if ((err as Error).name === 'StaleVersion') throw stale('person', body.expectedVersion);
        throw err;
      }
      if (body.teams) {
        const before = (await models.TeamMember.findAll({ where: { user_id: id } })).map((m) => ({ teamId: m.get('team_id') as number, membership: m.get('membership') as string }));
        await models.TeamMember.sequelize!.transaction(writeTransactionOptions(models.TeamMember.sequelize!), async (transaction) => {
          await models.TeamMember.destroy({ where: { user_id: id }, transaction });
          for (const t of body.teams!) await models.TeamMember.create({ team_id: t.teamId, user_id: id, membership: t.membership, on_shift: true }, { transaction });
          const touched = [...new Set([...before.map((b) => b.teamId), ...body.teams!.map((t) => t.teamId)])];
          if (touched.length) await models.Team.increment('version', { where: { id: touched }, transaction });
        });
        await models.AuditLog.create({ actor_id: actor.id, actor_label: null, entity: 'user', entity_id: String(id), action: 'teams_changed', before: before, after: body.teams, at: new Date() });
        await effects.teamsChanged([...before.map((b) => b.teamId), ...body.teams.map((t) => t.teamId)], `${result.after.name}'s teams changed by ${actor.name}`);
      }
      await effects.afterChange(`admin ${actor.name}`, result.before, result.after);
      if (result.before.active !== result.after.active && result.after.scimManaged) {
        const teamIds = await applyGroupMappings(models, people, actorOf(actor), [id]);
        if (teamIds.length) await effects.teamsChanged(teamIds, `team membership changed by the directory mappings (${actor.name})`);
      }
      return view((await people.get(id))!);
    },
  };
}

export type PeopleAdmin = ReturnType<typeof createPeopleAdmin>;
