import crypto from 'node:crypto';
import { Op } from 'sequelize';
import { resolveChainWithAdjustments, type ApprovalDirectory, type ApprovalRule } from '../../workflows/domain/approvals';
import type { ApprovalSnapshot, CalendarSnapshot, ConfigSnapshot, SlaPolicySnapshot, TeamSnapshot } from '../../workflows/domain/types';
import type { Models } from './models';
import { AUTO_CLOSE_DAYS_KEY, CONTINUE_AS_NEW_KEY, DEFAULT_TEAM_KEY } from './seed';

type Row = { get(key: string): unknown };
const num = (row: Row, key: string) => row.get(key) as number;
const str = (row: Row, key: string) => row.get(key) as string;

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
  function calendarOf(row: Row): CalendarSnapshot {
    return {
      id: num(row, 'id'),
      code: str(row, 'code'),
      name: str(row, 'name'),
      version: num(row, 'version'),
      timeZone: str(row, 'time_zone'),
      weeklyHours: row.get('weekly_hours') as CalendarSnapshot['weeklyHours'],
      holidays: row.get('holidays') as CalendarSnapshot['holidays'],
    };
  }

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

  return {
    /** Undefined when the category does not exist or is inactive; throws ApprovalConfigError when the chain cannot be resolved. */
    async snapshot(request: SnapshotRequest): Promise<ConfigSnapshot | undefined> {
      const category = await models.Category.findOne({ where: { id: request.categoryId, active: true } });
      if (!category) return undefined;
      const [teams, allMembers, inactive, departments, rules, calendars, policies, defaultTeam, autoClose, historyBudget] = await Promise.all([
        models.Team.findAll({ order: [['id', 'ASC']] }),
        models.TeamMember.findAll({ order: [['team_id', 'ASC'], ['user_id', 'ASC']] }),
        models.User.findAll({ where: { active: false }, attributes: ['id'] }),
        models.Department.findAll({ order: [['id', 'ASC']] }),
        models.RoutingRule.findAll({ where: { enabled: true }, order: [['position', 'ASC'], ['id', 'ASC']] }),
        models.BusinessCalendar.findAll({ order: [['id', 'ASC']] }),
        models.SlaPolicy.findAll({ order: [['id', 'ASC']] }),
        models.AppMeta.findByPk(DEFAULT_TEAM_KEY),
        models.AppMeta.findByPk(AUTO_CLOSE_DAYS_KEY),
        models.AppMeta.findByPk(CONTINUE_AS_NEW_KEY),
      ]);
      // A deactivated person stays on the team's roll but works no tickets: the team a ticket sees is who is active,
      // as in the membership changes signalled to open tickets (api/admin/team-membership.ts).
      const gone = new Set(inactive.map((u) => num(u, 'id')));
      const members = allMembers.filter((m) => !gone.has(num(m, 'user_id')));
      const departmentCodes = Object.fromEntries(departments.map((d) => [num(d, 'id'), str(d, 'code')]));
      const calendarById = new Map(calendars.map((c) => [num(c, 'id'), calendarOf(c)]));
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
      const slaPolicies: SlaPolicySnapshot[] = policies.map((p) => ({
        id: num(p, 'id'),
        version: num(p, 'version'),
        departmentId: num(p, 'department_id'),
        teamId: (p.get('team_id') as number | null) ?? null,
        priority: str(p, 'priority') as SlaPolicySnapshot['priority'],
        firstResponseMinutes: num(p, 'first_response_minutes'),
        resolutionMinutes: num(p, 'resolution_minutes'),
        clock: str(p, 'clock') === '24x7' ? '24x7' : 'business',
        pauseStatuses: p.get('pause_statuses') as SlaPolicySnapshot['pauseStatuses'],
        ladder: p.get('escalation_ladder') as SlaPolicySnapshot['ladder'],
      }));
      const content = {
        category: {
          id: num(category, 'id'),
          code: str(category, 'code'),
          name: str(category, 'name'),
          departmentId: num(category, 'department_id'),
          departmentCode: departmentCodes[num(category, 'department_id')] ?? '',
          defaultTeamId: (category.get('default_team_id') as number | null) ?? null,
        },
        teams: teamSnapshots,
        routingRules: rules.map((r) => ({
          id: num(r, 'id'),
          name: str(r, 'name'),
          position: num(r, 'position'),
          conditions: r.get('conditions') as ConfigSnapshot['routingRules'][number]['conditions'],
          teamId: num(r, 'team_id'),
        })),
        defaultTeamId: Number(defaultTeam?.get('value') ?? teamSnapshots[0]?.id),
        slaPolicies,
        approval: await approvalFor((category.get('approval_rule') as ApprovalRule | null) ?? null, request),
        autoCloseAfterBusinessDays: Number(autoClose?.get('value') ?? 3),
        departmentCodes,
        ...(historyBudget ? { continueAsNewAfterEvents: Number(historyBudget.get('value')) } : {}),
      };
      const version = crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
      return { version, ...content };
    },
  };
}

export type ConfigSnapshots = ReturnType<typeof createConfigSnapshots>;
