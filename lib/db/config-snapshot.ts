import crypto from 'node:crypto';
import { literal, Op, type Model, type ModelStatic } from 'sequelize';
import { resolveChainWithAdjustments, type ApprovalDirectory, type ApprovalRule } from '../../workflows/domain/approvals';
import type { ApprovalSnapshot, CalendarSnapshot, ConfigSnapshot, SlaPolicySnapshot, TeamSnapshot } from '../../workflows/domain/types';
import { configurationToken } from './config-generation';
import type { Models } from './models';
import { categoryView, type CategoryView } from './organisation';
import { AUTO_CLOSE_DAYS_KEY, CONTINUE_AS_NEW_KEY, DEFAULT_TEAM_KEY } from './seed';

type Row = { get(key: string): unknown };
const num = (row: Row, key: string) => row.get(key) as number;
const str = (row: Row, key: string) => row.get(key) as string;

/** Never keep the shared configuration longer than this, whatever the generation says (writes made by hand in the database set no generation). */
export const SHARED_MAX_AGE_MS = 60_000;

/** An active category as a create needs it: to check the request against, and to snapshot. */
export type ActiveCategory = CategoryView & { approvalRule: ApprovalRule | null };

type SharedConfiguration = Pick<ConfigSnapshot, 'teams' | 'routingRules' | 'defaultTeamId' | 'slaPolicies' | 'autoCloseAfterBusinessDays' | 'continueAsNewAfterEvents'> & {
  departmentCodes: Record<number, string>;
  memberNames: Record<number, string>;
  categories: ActiveCategory[];
};

export interface SnapshotRequest {
  categoryId: number;
  requesterId: number;
  customFields: Record<string, unknown>;
  /** The day the ticket starts, for standing delegations that are in force. */
  today: string;
}

/**
 * The configuration a new ticket's workflow starts with: routing rules, teams with
 * their calendars, SLA policies, and the category's approval chain resolved to people.
 * The version is a digest of the content, so two tickets with the same version saw the
 * same rules — and history says which.
 */
export function createConfigSnapshots(models: Models) {

  async function approvalDirectory(): Promise<ApprovalDirectory & { names: Record<number, string> }> {
    const [users, departments, members] = await Promise.all([
      // Ordered reads keep the snapshot (and so its version digest) identical on every database.
      models.User.findAll({ where: { active: true }, order: [['id', 'ASC']] }),
      models.Department.findAll({ order: [['id', 'ASC']] }),
      models.ApprovalGroupMember.findAll({ order: [['group_code', 'ASC'], ['user_id', 'ASC']] }),
    ]);
    const groups: Record<string, number[]> = {};
    for (const m of members) (groups[str(m, 'group_code')] ??= []).push(num(m, 'user_id'));
    return {
      people: users.map((u) => ({
        id: num(u, 'id'),
        name: str(u, 'name'),
        managerId: (u.get('manager_id') as number | null) ?? null,
        departmentId: (u.get('department_id') as number | null) ?? null,
        roles: u.get('roles') as string[],
      })),
      departmentHeads: Object.fromEntries(departments.map((d) => [num(d, 'id'), (d.get('head_user_id') as number | null) ?? null])),
      groups,
      delegations: [],
      names: Object.fromEntries(users.map((u) => [num(u, 'id'), str(u, 'name')])),
    };
  }

  async function approvalFor(rule: ApprovalRule | null, request: SnapshotRequest): Promise<ApprovalSnapshot | null> {
    if (!rule || rule.kind === 'none') return null;
    const directory = await approvalDirectory();
    const { steps, adjustments } = resolveChainWithAdjustments(rule, request.customFields, request.requesterId, directory);
    // A chain whose every step was skipped still carries why, for the ticket's timeline.
    if (steps.length === 0 && adjustments.length === 0) return null;
    const approverIds = [...new Set(steps.flatMap((s) => s.approverIds))];
    const managers = Object.fromEntries(approverIds.map((id) => [id, directory.people.find((p) => p.id === id)?.managerId ?? null]));
    const delegations = await models.Delegation.findAll({ where: { from_user_id: { [Op.in]: approverIds }, ends_on: { [Op.gte]: request.today } }, order: [['id', 'ASC']] });
    const involved = new Set([...approverIds, ...Object.values(managers).filter((m): m is number => m !== null), ...delegations.map((d) => num(d, 'to_user_id'))]);
    return {
      steps,
      managers,
      delegations: delegations.map((d) => ({ fromUserId: num(d, 'from_user_id'), toUserId: num(d, 'to_user_id'), startsOn: str(d, 'starts_on'), endsOn: str(d, 'ends_on') })),
      names: Object.fromEntries([...involved].map((id) => [id, directory.names[id] ?? `user ${id}`])),
      ...(adjustments.length ? { adjustments } : {}),
    };
  }

  /**
   * What every new ticket's configuration shares whatever its requester: teams, members,
   * routing rules, calendars, policies, settings and the active categories (a create read all
   * of them, their departments and its own again on every request). Sixteen-odd queries, so it is kept
   * between creates for as long as the configuration generation says nothing it is read from
   * changed (one read per create), and never longer than SHARED_MAX_AGE_MS. Concurrent creates
   * share one read. The objects are shared by every ticket created from them: nothing mutates them.
   */
  async function shared(): Promise<SharedConfiguration> {
    const token = await configurationToken(models.AppMeta.sequelize!);
    const now = Date.now();
    if (token !== undefined && kept && kept.token === token && now - kept.readAt < SHARED_MAX_AGE_MS) return kept.reading;
    const reading = readShared();
    if (token !== undefined) kept = { token, readAt: now, reading };
    reading.catch(() => {
      if (kept?.reading === reading) kept = undefined;
    });
    return reading;
  }
  let kept: { token: string; readAt: number; reading: Promise<SharedConfiguration> } | undefined;

  async function readShared(): Promise<SharedConfiguration> {
    const [teams, allMembers, inactive, departments, rules, calendars, policies, defaultTeam, autoClose, historyBudget, categories] = await Promise.all([
      models.Team.findAll({ order: [['id', 'ASC']] }),
      models.TeamMember.findAll({ order: [['team_id', 'ASC'], ['user_id', 'ASC']] }),
      models.User.findAll({ where: { active: false }, attributes: ['id'] }),
      models.Department.findAll({ order: [['id', 'ASC']] }),
      models.RoutingRule.findAll({ where: { enabled: true }, order: [['position', 'ASC'], ['id', 'ASC']] }),
      publishedCalendars(models),
      publishedPolicies(models),
      models.AppMeta.findByPk(DEFAULT_TEAM_KEY),
      models.AppMeta.findByPk(AUTO_CLOSE_DAYS_KEY),
      models.AppMeta.findByPk(CONTINUE_AS_NEW_KEY),
      models.Category.findAll({ where: { active: true }, order: [['id', 'ASC']] }),
    ]);
    // A deactivated person stays on the team's roll but works no tickets: the team a ticket sees is who is active,
    // as in the membership changes signalled to open tickets (api/admin/team-membership.ts).
    const gone = new Set(inactive.map((u) => num(u, 'id')));
    const members = allMembers.filter((m) => !gone.has(num(m, 'user_id')));
    const departmentCodes = Object.fromEntries(departments.map((d) => [num(d, 'id'), str(d, 'code')]));
    const departmentNames = new Map(departments.map((d) => [num(d, 'id'), str(d, 'name')]));
    const calendarById = new Map(calendars.map((c) => [c.id, c]));
    const memberNames = await namesOf(models, [...new Set(members.map((m) => num(m, 'user_id')))]);
    const teamSnapshots: TeamSnapshot[] = teams.map((t) => {
      const teamMembers = members.filter((m) => num(m, 'team_id') === num(t, 'id'));
      const calendar = calendarById.get(t.get('calendar_id') as number);
      return {
        id: num(t, 'id'),
        code: str(t, 'code'),
        name: str(t, 'name'),
        departmentId: num(t, 'department_id'),
        departmentCode: departmentCodes[num(t, 'department_id')] ?? '',
        assignmentStrategy: str(t, 'assignment_strategy') as TeamSnapshot['assignmentStrategy'],
        memberIds: teamMembers.map((m) => num(m, 'user_id')),
        leadIds: teamMembers.filter((m) => str(m, 'membership') === 'lead').map((m) => num(m, 'user_id')),
        ...(calendar ? { calendar } : {}),
        version: num(t, 'version'),
      };
    });
    return {
      teams: teamSnapshots,
      routingRules: rules.map((r) => ({
        id: num(r, 'id'),
        name: str(r, 'name'),
        position: num(r, 'position'),
        conditions: r.get('conditions') as ConfigSnapshot['routingRules'][number]['conditions'],
        teamId: num(r, 'team_id'),
      })),
      defaultTeamId: Number(defaultTeam?.get('value') ?? teamSnapshots[0]?.id),
      slaPolicies: policies,
      autoCloseAfterBusinessDays: Number(autoClose?.get('value') ?? 3),
      departmentCodes,
      memberNames,
      ...(historyBudget ? { continueAsNewAfterEvents: Number(historyBudget.get('value')) } : {}),
      categories: categories.map((c) => ({ ...categoryView(c, departmentNames), approvalRule: (c.get('approval_rule') as ApprovalRule | null) ?? null })),
    };
  }

  /** A ticket's snapshot from one reading of the shared configuration; undefined when its category is not active. */
  async function snapshotFrom(common: SharedConfiguration, request: SnapshotRequest): Promise<ConfigSnapshot | undefined> {
    const category = common.categories.find((c) => c.id === request.categoryId);
    if (!category) return undefined;
    const { departmentCodes } = common;
    // Keys in the order the snapshot has always had them: the version digest is over this JSON.
    const content = {
      category: {
        id: category.id,
        code: category.code,
        name: category.name,
        departmentId: category.departmentId,
        departmentCode: departmentCodes[category.departmentId] ?? '',
        defaultTeamId: category.defaultTeamId,
      },
      teams: common.teams,
      routingRules: common.routingRules,
      defaultTeamId: common.defaultTeamId,
      slaPolicies: common.slaPolicies,
      approval: await approvalFor(category.approvalRule, request),
      autoCloseAfterBusinessDays: common.autoCloseAfterBusinessDays,
      departmentCodes,
      memberNames: common.memberNames,
      ...(common.continueAsNewAfterEvents !== undefined ? { continueAsNewAfterEvents: common.continueAsNewAfterEvents } : {}),
    };
    const version = crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
    return { version, ...content };
  }

  return {
    /**
     * The configuration as it stands, read (or found kept) once: a create checks its category
     * against it and snapshots its ticket from the same reading, one token read for both.
     */
    async current() {
      const common = await shared();
      return {
        /** Undefined when the category does not exist or is inactive. */
        category: (id: number): ActiveCategory | undefined => common.categories.find((c) => c.id === id),
        /** Undefined when the category does not exist or is inactive; throws ApprovalConfigError when the chain cannot be resolved. */
        snapshot: (request: SnapshotRequest) => snapshotFrom(common, request),
      };
    },
    /** Undefined when the category does not exist or is inactive; throws ApprovalConfigError when the chain cannot be resolved. */
    async snapshot(request: SnapshotRequest): Promise<ConfigSnapshot | undefined> {
      return snapshotFrom(await shared(), request);
    },
  };
}

export type ConfigSnapshots = ReturnType<typeof createConfigSnapshots>;

async function namesOf(models: Models, ids: number[]): Promise<Record<number, string>> {
  if (ids.length === 0) return {};
  const users = await models.User.findAll({ where: { id: { [Op.in]: ids } }, attributes: ['id', 'name'], order: [['id', 'ASC']] });
  return Object.fromEntries(users.map((u) => [num(u, 'id'), str(u, 'name')]));
}

/** The content a published policy version fixes (identity — department, team, priority — stays with the policy). */
export type PolicyContent = Pick<SlaPolicySnapshot, 'firstResponseMinutes' | 'resolutionMinutes' | 'clock' | 'pauseStatuses' | 'ladder'>;
export type CalendarContent = Pick<CalendarSnapshot, 'name' | 'timeZone' | 'weeklyHours' | 'holidays'>;

export function policyContentOf(row: Row): PolicyContent {
  return {
    firstResponseMinutes: num(row, 'first_response_minutes'),
    resolutionMinutes: num(row, 'resolution_minutes'),
    clock: str(row, 'clock') === '24x7' ? '24x7' : 'business',
    pauseStatuses: row.get('pause_statuses') as SlaPolicySnapshot['pauseStatuses'],
    ladder: row.get('escalation_ladder') as SlaPolicySnapshot['ladder'],
  };
}

export function calendarContentOf(row: Row): CalendarContent {
  return {
    name: str(row, 'name'),
    timeZone: str(row, 'time_zone'),
    weeklyHours: row.get('weekly_hours') as CalendarSnapshot['weeklyHours'],
    holidays: row.get('holidays') as CalendarSnapshot['holidays'],
  };
}

/**
 * The newest version row of each owner (policy or calendar), read by the (owner, version) key:
 * every ticket created reads these, and a version row is written at every publish, so reading
 * them all to keep the last grew with the configuration's history.
 */
async function newestVersions(model: ModelStatic<Model>, owner: string): Promise<Map<number, Row>> {
  const queries = model.sequelize!.getQueryInterface();
  const column = queries.quoteIdentifier(owner);
  const newest = `(SELECT MAX(newer.version) FROM ${queries.quoteIdentifier(model.getTableName() as string)} AS newer WHERE newer.${column} = ${queries.quoteIdentifier(model.name)}.${column})`;
  const rows = await model.findAll({ where: { version: { [Op.eq]: literal(newest) } }, order: [[owner, 'ASC']] });
  return new Map(rows.map((r) => [num(r, owner), r]));
}

/**
 * Each policy as last published: the newest version row's content at that version number.
 * A policy never published through the console (seeded, or created before versions) is its
 * own first version, at its row's version number.
 */
export async function publishedPolicies(models: Models): Promise<SlaPolicySnapshot[]> {
  const [rows, newest] = await Promise.all([models.SlaPolicy.findAll({ order: [['id', 'ASC']] }), newestVersions(models.SlaPolicyVersion, 'policy_id')]);
  return rows.map((p) => {
    const published = newest.get(num(p, 'id'));
    return {
      id: num(p, 'id'),
      version: published ? num(published, 'version') : num(p, 'version'),
      departmentId: num(p, 'department_id'),
      teamId: (p.get('team_id') as number | null) ?? null,
      priority: str(p, 'priority') as SlaPolicySnapshot['priority'],
      ...(published ? (published.get('snapshot') as PolicyContent) : policyContentOf(p)),
    };
  });
}

/** Each calendar as last published (see publishedPolicies). */
export async function publishedCalendars(models: Models): Promise<CalendarSnapshot[]> {
  const [rows, newest] = await Promise.all([models.BusinessCalendar.findAll({ order: [['id', 'ASC']] }), newestVersions(models.BusinessCalendarVersion, 'calendar_id')]);
  return rows.map((c) => {
    const published = newest.get(num(c, 'id'));
    return {
      id: num(c, 'id'),
      code: str(c, 'code'),
      version: published ? num(published, 'version') : num(c, 'version'),
      ...(published ? (published.get('snapshot') as CalendarContent) : calendarContentOf(c)),
    };
  });
}
