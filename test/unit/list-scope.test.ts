import { Op, type WhereOptions } from 'sequelize';
import { scopedTickets, teamIdsOf, visibleTickets } from '../../api/access';
import { DEMO_USERS, demoSubject } from '../../lib/db/demo-org';
import { createOrganisation, type UserProfile } from '../../lib/db/organisation';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * A list's scope drops the visibility condition when the scope implies it. That holds only
 * while "mine" and "team" stay clauses of visibleTickets: this checks, for every demo person
 * and tickets spread over requesters, teams, departments, shares and approval tasks, that
 * each scope matches exactly the visible tickets within it.
 */
let db: TestDatabase;
let people: UserProfile[];

beforeAll(async () => {
  db = await createTestDatabase();
  const { models } = db;
  const organisation = createOrganisation(models);
  people = await Promise.all(DEMO_USERS.map(async (u) => (await organisation.userBySubject(demoSubject(u.key)))!));
  const userIds = people.map((p) => p.id);
  const teamIds = ((await models.Team.findAll({ attributes: ['id'] })) as Array<{ get(k: string): unknown }>).map((t) => t.get('id') as number);
  const departmentIds = ((await models.Department.findAll({ attributes: ['id'] })) as Array<{ get(k: string): unknown }>).map((d) => d.get('id') as number);
  const at = new Date('2026-11-02T09:00:00Z');
  const rows = Array.from({ length: 120 }, (_, i) => ({
    number: 900_000 + i,
    workflow_id: `ticket-${900_000 + i}`,
    title: `Scope ${i}`,
    description: 'd',
    status: 'assigned',
    priority: 'medium',
    channel: 'portal',
    category_id: 1,
    department_id: departmentIds[i % departmentIds.length],
    team_id: i % 7 === 0 ? null : teamIds[i % teamIds.length],
    assignee_id: null,
    requester_id: userIds[(i * 7) % userIds.length],
    custom_fields: {},
    sla_breached: false,
    seq: 1,
    created_at: at,
    updated_at: at,
  }));
  await models.Ticket.bulkCreate(rows);
  await models.TicketShare.bulkCreate(rows.filter((_, i) => i % 4 === 1).map((r, i) => ({ ticket_number: r.number, team_id: teamIds[(i + 1) % teamIds.length], access: 'read' })));
  await models.ApprovalTask.bulkCreate(
    rows.filter((_, i) => i % 6 === 2).map((r, i) => ({ ticket_number: r.number, step: 1, approver_id: userIds[i % userIds.length], acting_user_id: userIds[i % userIds.length], step_name: 'Manager', status: i % 2 ? 'pending' : 'approved', started_at: at, decided_at: null, decided_by: i % 2 ? null : userIds[i % userIds.length] })),
  );
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

async function numbers(where: WhereOptions): Promise<number[]> {
  const rows = await db.models.Ticket.findAll({ where, attributes: ['number'], order: [['number', 'ASC']], raw: true });
  return (rows as unknown as Array<{ number: number }>).map((r) => r.number);
}

const SCOPES = {
  mine: (user: UserProfile): WhereOptions => ({ requester_id: user.id }),
  team: (user: UserProfile): WhereOptions => ({ team_id: { [Op.in]: teamIdsOf(user) } }),
  all: (): WhereOptions => ({}),
};

test.each(Object.keys(SCOPES) as Array<keyof typeof SCOPES>)('scope %s matches exactly the visible tickets within it, for every demo person', async (scope) => {
  let nonEmpty = 0;
  for (const user of people) {
    const expected = await numbers({ [Op.and]: [visibleTickets(user), SCOPES[scope](user)] });
    const scoped = await numbers(scopedTickets(user, scope));
    expect({ person: user.email, numbers: scoped }).toEqual({ person: user.email, numbers: expected });
    if (expected.length > 0) nonEmpty += 1;
  }
  // The comparison means something only if the scope selects tickets for most people.
  expect(nonEmpty).toBeGreaterThan(scope === 'team' ? 5 : 10);
});
