import { Op } from 'sequelize';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createActivities } from '../../activities';
import type { ProjectionBatch, TicketState } from '../../workflows/definitions';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

let db: TestDatabase;
let activities: ReturnType<typeof createActivities>;
const mockEnv = new MockActivityEnvironment();

beforeAll(async () => {
  db = await createTestDatabase();
  activities = createActivities({ sequelize: db.sequelize, models: db.models, logger: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

const state = (number: number, version: number, status: TicketState['status']): TicketState => ({
  number,
  title: 'Projected',
  description: 'd',
  status,
  priority: 'medium',
  channel: 'portal',
  categoryId: 1,
  departmentId: 1,
  teamId: 1,
  assigneeId: null,
  requesterId: 1,
  customFields: { model: 'A' },
  routing: null,
  version,
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: `2026-11-23T09:0${version}:00.000Z`,
  resolvedAt: null,
  closedAt: null,
});

const batch = (number: number, version: number, status: TicketState['status']): ProjectionBatch => ({
  ticket: state(number, version, status),
  workflowId: `ticket-${number}`,
  events: [{ seq: version, type: `step-${version}`, actorId: null, actorName: 'System', fromStatus: null, toStatus: status, data: {}, occurredAt: state(number, version, status).updatedAt, visibility: 'public' }],
});

describe('projection activity', () => {
  test('when a stale batch arrives after a newer one, then the row is not rolled back but its event is still kept', async () => {
    await mockEnv.run(activities.projectTicket, batch(9001, 1, 'new'));
    await mockEnv.run(activities.projectTicket, batch(9001, 3, 'in_progress'));
    const late = await mockEnv.run(activities.projectTicket, batch(9001, 2, 'assigned'));

    expect(late).toEqual({ applied: false });
    const row = await db.models.Ticket.findByPk(9001);
    expect(row!.get('status')).toBe('in_progress');
    expect(row!.get('seq')).toBe(3);
    expect(row!.get('custom_fields')).toEqual({ model: 'A' });
    const events = await db.models.TicketEvent.findAll({ where: { ticket_number: 9001 }, order: [['seq', 'ASC']] });
    expect(events.map((e) => e.get('seq'))).toEqual([1, 2, 3]);
  });

  test("when a ticket's first projection (its creation) is retried, even after a newer one, then nothing is duplicated or rolled back", async () => {
    const created: ProjectionBatch = { ...batch(9003, 1, 'new'), events: [{ ...batch(9003, 1, 'new').events[0]!, type: 'created' }] };
    expect(await mockEnv.run(activities.projectTicket, created)).toEqual({ applied: true });
    expect((await db.models.Ticket.findByPk(9003))!.get('status')).toBe('new');
    expect(await mockEnv.run(activities.projectTicket, created)).toEqual({ applied: false });
    await mockEnv.run(activities.projectTicket, batch(9003, 2, 'assigned'));
    expect(await mockEnv.run(activities.projectTicket, created)).toEqual({ applied: false });
    const row = await db.models.Ticket.findByPk(9003);
    expect([row!.get('status'), row!.get('seq')]).toEqual(['assigned', 2]);
    expect(await db.models.TicketEvent.count({ where: { ticket_number: 9003 } })).toBe(2);
  });

  test('when the same batch is retried, then nothing is duplicated', async () => {
    await mockEnv.run(activities.projectTicket, batch(9002, 1, 'new'));
    const retry = await mockEnv.run(activities.projectTicket, batch(9002, 1, 'new'));
    expect(retry).toEqual({ applied: false });
    expect(await db.models.TicketEvent.count({ where: { ticket_number: 9002 } })).toBe(1);
    expect(await db.models.Ticket.count({ where: { number: 9002 } })).toBe(1);
  });
});

describe('assignment activity', () => {
  test('when the same ticket asks twice, then round-robin answers the same person and moves on only once', async () => {
    const team = await db.models.Team.findOne({ where: { code: 'it-service-desk' } });
    const teamId = team!.get('id') as number;
    const members = (await db.models.TeamMember.findAll({ where: { team_id: teamId } })).map((m) => m.get('user_id') as number).sort((a, b) => a - b);
    const ask = (ticketNumber: number) => mockEnv.run(activities.chooseAssignee, { ticketNumber, teamId, strategy: 'round_robin' as const, candidateIds: members });

    const first = await ask(7001);
    expect(await ask(7001)).toBe(first);
    const second = await ask(7002);
    const third = await ask(7003);
    expect([first, second, third].sort((a, b) => Number(a) - Number(b))).toEqual(members);
  });

  test('when one member is off shift and another deactivated, then round-robin passes over both, and a person outside the team is never chosen', async () => {
    const team = await db.models.Team.findOne({ where: { code: 'it-service-desk' } });
    const teamId = team!.get('id') as number;
    const members = (await db.models.TeamMember.findAll({ where: { team_id: teamId } })).map((m) => m.get('user_id') as number).sort((a, b) => a - b);
    expect(members.length).toBeGreaterThanOrEqual(3);
    const [offShift, deactivated, ...working] = members;
    const outsider = (await db.models.User.findOne({ where: { active: true, id: { [Op.notIn]: members } } }))!.get('id') as number;
    await db.models.TeamMember.update({ on_shift: false }, { where: { team_id: teamId, user_id: offShift } });
    await db.models.User.update({ active: false }, { where: { id: deactivated } });
    try {
      const chosen = new Set<number | null>();
      for (let n = 0; n < working.length * 2; n++) {
        chosen.add(await mockEnv.run(activities.chooseAssignee, { ticketNumber: 7200 + n, teamId, strategy: 'round_robin' as const, candidateIds: [...members, outsider] }));
      }
      expect([...chosen].sort((a, b) => Number(a) - Number(b))).toEqual(working);
    } finally {
      await db.models.User.update({ active: true }, { where: { id: deactivated } });
      await db.models.TeamMember.update({ on_shift: true }, { where: { team_id: teamId, user_id: offShift } });
    }
  });

  test('when nobody of the team is on shift, then nobody is chosen', async () => {
    const team = await db.models.Team.findOne({ where: { code: 'people-ops' } });
    const teamId = team!.get('id') as number;
    await db.models.TeamMember.update({ on_shift: false }, { where: { team_id: teamId } });
    expect(await mockEnv.run(activities.chooseAssignee, { ticketNumber: 7100, teamId, strategy: 'least_loaded' as const, candidateIds: [1, 2, 3] })).toBeNull();
  });
});
