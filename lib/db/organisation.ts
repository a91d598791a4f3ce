import type { Account } from '../accounts';
import type { Role } from '../claims';
import type { RequesterProfile } from '../../workflows/domain/types';
import { Op } from 'sequelize';
import type { Models } from './models';

/** Reads of the organisation configuration: people, teams, categories, routing. */

export interface UserProfile {
  id: number;
  email: string;
  name: string;
  title: string | null;
  authSubject: string | null;
  roles: Role[];
  department: { id: number; code: string; name: string } | null;
  teams: Array<{ id: number; code: string; name: string; membership: 'agent' | 'lead' }>;
  managerId: number | null;
  location: string | null;
  vip: boolean;
}

export interface CategoryView {
  id: number;
  code: string;
  name: string;
  departmentId: number;
  departmentName: string;
  parentId: number | null;
  defaultTeamId: number | null;
  /** min and max: length for text, value for number and money, ISO dates for date. */
  fields: Array<{ key: string; label: string; type: string; required: boolean; options?: string[]; min?: number | string; max?: number | string }>;
}

type Row = { get(key: string): unknown };

/** A category row as the portal and a create see it, named by its department. */
export function categoryView(c: Row, departmentName: Map<number, string>): CategoryView {
  return {
    id: num(c, 'id'),
    code: str(c, 'code'),
    name: str(c, 'name'),
    departmentId: num(c, 'department_id'),
    departmentName: departmentName.get(num(c, 'department_id')) ?? '',
    parentId: (c.get('parent_id') as number | null) ?? null,
    defaultTeamId: (c.get('default_team_id') as number | null) ?? null,
    fields: (c.get('field_schema') as CategoryView['fields'] | null) ?? [],
  };
}
const num = (row: Row, key: string) => row.get(key) as number;
const str = (row: Row, key: string) => row.get(key) as string;

export function createOrganisation(models: Models) {
  async function profiles(where: Record<string, unknown>): Promise<UserProfile[]> {
    const users = await models.User.findAll({ where: { active: true, ...where }, order: [['id', 'ASC']] });
    if (users.length === 0) return [];
    const [departments, memberships, teams] = await Promise.all([
      models.Department.findAll(),
      models.TeamMember.findAll({ where: { user_id: users.map((u) => num(u, 'id')) }, order: [['team_id', 'ASC']] }),
      models.Team.findAll(),
    ]);
    const departmentById = new Map(departments.map((d) => [num(d, 'id'), d]));
    const teamById = new Map(teams.map((t) => [num(t, 'id'), t]));
    return users.map((u) => {
      const department = departmentById.get(u.get('department_id') as number);
      return {
        id: num(u, 'id'),
        email: str(u, 'email'),
        name: str(u, 'name'),
        title: (u.get('title') as string | null) ?? null,
        authSubject: (u.get('auth_subject') as string | null) ?? null,
        roles: u.get('roles') as Role[],
        department: department ? { id: num(department, 'id'), code: str(department, 'code'), name: str(department, 'name') } : null,
        teams: memberships
          .filter((m) => num(m, 'user_id') === num(u, 'id'))
          .map((m) => {
            const team = teamById.get(num(m, 'team_id'))!;
            return { id: num(team, 'id'), code: str(team, 'code'), name: str(team, 'name'), membership: str(m, 'membership') as 'agent' | 'lead' };
          }),
        managerId: (u.get('manager_id') as number | null) ?? null,
        location: (u.get('location') as string | null) ?? null,
        vip: Boolean(u.get('vip')),
      };
    });
  }

  return {
    async userBySubject(sub: string): Promise<UserProfile | undefined> {
      return (await profiles({ auth_subject: sub }))[0];
    },
    async userByEmail(email: string): Promise<UserProfile | undefined> {
      return (await profiles({ email: email.toLowerCase() }))[0];
    },
    async usersByIds(ids: number[]): Promise<UserProfile[]> {
      return ids.length === 0 ? [] : profiles({ id: ids });
    },
    /** The names of those of these people who are active: one query, where a profile is four. */
    async activeNames(ids: number[]): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map();
      const rows = (await models.User.findAll({ where: { active: true, id: [...new Set(ids)] }, attributes: ['id', 'name'], raw: true })) as unknown as Array<{ id: number; name: string }>;
      return new Map(rows.map((u) => [u.id, u.name]));
    },
    /** Active people whose name or email contains the words typed, for pickers (delegate, watcher, mention). */
    async findPeople(query: string, limit: number): Promise<Array<{ id: number; name: string; email: string }>> {
      // LIKE's own wildcards are dropped rather than escaped: SQLite has no default escape character.
      const like = `%${query.replace(/[\\%_]/g, '')}%`;
      const rows = await models.User.findAll({
        where: { active: true, [Op.or]: [{ name: { [Op.like]: like } }, { email: { [Op.like]: like } }] },
        attributes: ['id', 'name', 'email'],
        order: [['name', 'ASC'], ['id', 'ASC']],
        limit,
      });
      return rows.map((u) => ({ id: num(u, 'id'), name: str(u, 'name'), email: str(u, 'email') }));
    },
    async linkSubject(userId: number, sub: string): Promise<void> {
      await models.User.update({ auth_subject: sub }, { where: { id: userId } });
    },

    /** Everyone who can sign in at the local issuer, with the claims their tokens carry. */
    async accounts(): Promise<Account[]> {
      return (await profiles({})).filter((p) => p.authSubject).map(toAccount);
    },

    async categories(): Promise<CategoryView[]> {
      const [categories, departments] = await Promise.all([
        models.Category.findAll({ where: { active: true }, order: [['department_id', 'ASC'], ['id', 'ASC']] }),
        models.Department.findAll(),
      ]);
      const departmentName = new Map(departments.map((d) => [num(d, 'id'), str(d, 'name')]));
      return categories.map((c) => categoryView(c, departmentName));
    },

    /** Teams with the time zone of their business calendar, in which their working hours and SLA targets are set. */
    async teams(): Promise<Array<{ id: number; code: string; name: string; departmentId: number; assignmentStrategy: string; timeZone: string | null }>> {
      const [teams, calendars] = await Promise.all([models.Team.findAll({ order: [['name', 'ASC']] }), models.BusinessCalendar.findAll({ attributes: ['id', 'time_zone'] })]);
      const zoneOf = new Map(calendars.map((c) => [num(c, 'id'), str(c, 'time_zone')]));
      return teams.map((t) => ({
        id: num(t, 'id'),
        code: str(t, 'code'),
        name: str(t, 'name'),
        departmentId: num(t, 'department_id'),
        assignmentStrategy: str(t, 'assignment_strategy'),
        timeZone: zoneOf.get(t.get('calendar_id') as number) ?? null,
      }));
    },

    async teamMembers(teamId: number): Promise<Array<{ id: number; name: string; email: string; membership: string }> | undefined> {
      const team = await models.Team.findByPk(teamId);
      if (!team) return undefined;
      const members = await models.TeamMember.findAll({ where: { team_id: teamId } });
      const users = await models.User.findAll({ where: { id: members.map((m) => num(m, 'user_id')), active: true }, order: [['name', 'ASC']] });
      return users.map((u) => ({
        id: num(u, 'id'),
        name: str(u, 'name'),
        email: str(u, 'email'),
        membership: str(members.find((m) => num(m, 'user_id') === num(u, 'id'))!, 'membership'),
      }));
    },
  };
}

export type Organisation = ReturnType<typeof createOrganisation>;

export function requesterProfile(user: UserProfile): RequesterProfile {
  return { id: user.id, name: user.name, email: user.email, departmentId: user.department?.id ?? null, location: user.location, vip: user.vip };
}

export function toAccount(p: UserProfile): Account {
  return {
    sub: p.authSubject!,
    email: p.email,
    name: p.name,
    roles: p.roles,
    teams: p.teams.map((t) => t.code),
    department: p.department?.code,
    title: p.title ?? undefined,
  };
}
