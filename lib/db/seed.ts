import type { Sequelize } from 'sequelize';
import {
  DEFAULT_TEAM,
  DEMO_APPROVAL_GROUPS,
  DEMO_CALENDARS,
  DEMO_CATEGORIES,
  DEMO_DEPARTMENTS,
  DEMO_ROUTING_RULES,
  DEMO_SLA,
  DEMO_TEAMS,
  DEMO_USERS,
  demoSubject,
} from './demo-org';
import type { Models } from './models';

const SEEDED_KEY = 'demo_seeded_at';
export const DEFAULT_TEAM_KEY = 'default_team_id';
export const AUTO_CLOSE_DAYS_KEY = 'auto_close_business_days';
/** Operators may make tickets continue as new earlier than the server suggests (a history-size budget). */
export const CONTINUE_AS_NEW_KEY = 'continue_as_new_after_events';

/**
 * Seeds the demo organisation exactly once (recorded in app_meta), in one transaction,
 * so a second `npm start` never duplicates or resets anything.
 */
export async function seedDemoOrganisation(sequelize: Sequelize, models: Models): Promise<boolean> {
  if (await models.AppMeta.findByPk(SEEDED_KEY)) return false;
  await sequelize.transaction(async (transaction) => {
    const opts = { transaction };
    const idOf = (row: { get(key: string): unknown }) => row.get('id') as number;

    const departments = new Map<string, number>();
    for (const d of DEMO_DEPARTMENTS) departments.set(d.code, idOf(await models.Department.create({ code: d.code, name: d.name }, opts)));

    const users = new Map<string, number>();
    for (const u of DEMO_USERS) {
      const row = await models.User.create(
        {
          email: u.email,
          name: u.name,
          auth_subject: demoSubject(u.key),
          title: u.title,
          department_id: departments.get(u.department),
          location: u.location ?? null,
          vip: u.vip ?? false,
          roles: u.roles,
          active: true,
        },
        opts,
      );
      users.set(u.key, idOf(row));
    }
    for (const u of DEMO_USERS.filter((u) => u.manager)) {
      await models.User.update({ manager_id: users.get(u.manager!) }, { where: { id: users.get(u.key) }, transaction });
    }
    for (const d of DEMO_DEPARTMENTS) {
      await models.Department.update({ head_user_id: users.get(d.head) }, { where: { id: departments.get(d.code) }, transaction });
    }

    const calendars = new Map<string, number>();
    for (const c of DEMO_CALENDARS) {
      const row = await models.BusinessCalendar.create({ code: c.code, name: c.name, time_zone: c.timeZone, weekly_hours: c.weeklyHours, holidays: c.holidays }, opts);
      calendars.set(c.code, idOf(row));
    }

    const teams = new Map<string, number>();
    for (const t of DEMO_TEAMS) {
      const row = await models.Team.create(
        { code: t.code, name: t.name, department_id: departments.get(t.department), calendar_id: calendars.get(t.calendar), assignment_strategy: t.strategy },
        opts,
      );
      teams.set(t.code, idOf(row));
      for (const [member, membership] of t.members) {
        await models.TeamMember.create({ team_id: idOf(row), user_id: users.get(member), membership, on_shift: true }, opts);
      }
    }

    const categories = new Map<string, number>();
    for (const c of DEMO_CATEGORIES) {
      const row = await models.Category.create(
        {
          code: c.code,
          name: c.name,
          department_id: departments.get(c.department),
          parent_id: c.parent ? categories.get(c.parent) : null,
          default_team_id: c.team ? teams.get(c.team) : null,
          field_schema: c.fields,
          approval_rule: c.approval ?? null,
          active: true,
        },
        opts,
      );
      categories.set(c.code, idOf(row));
    }

    for (const d of DEMO_DEPARTMENTS) {
      for (const p of DEMO_SLA) {
        await models.SlaPolicy.create(
          {
            department_id: departments.get(d.code),
            team_id: null,
            priority: p.priority,
            first_response_minutes: p.firstResponse,
            resolution_minutes: p.resolution,
            clock: 'business',
            pause_statuses: ['waiting_on_requester', 'waiting_on_vendor'],
            escalation_ladder: p.ladder,
          },
          opts,
        );
      }
    }

    let position = 10;
    for (const r of DEMO_ROUTING_RULES) {
      const conditions = { ...r.conditions, categoryIds: r.categories.map((code) => categories.get(code)!) };
      await models.RoutingRule.create({ position, name: r.name, conditions, team_id: teams.get(r.team), enabled: true }, opts);
      position += 10;
    }

    for (const g of DEMO_APPROVAL_GROUPS) {
      await models.ApprovalGroup.create({ code: g.code, name: g.name }, opts);
      for (const member of g.members) await models.ApprovalGroupMember.create({ group_code: g.code, user_id: users.get(member) }, opts);
    }

    await models.AppMeta.create({ key: DEFAULT_TEAM_KEY, value: String(teams.get(DEFAULT_TEAM)) }, opts);
    await models.AppMeta.create({ key: AUTO_CLOSE_DAYS_KEY, value: '3' }, opts);
    await models.AppMeta.create({ key: SEEDED_KEY, value: new Date().toISOString() }, opts);
  });
  return true;
}
