import { Op } from 'sequelize';
import { configurationToken, writtenTable } from '../../lib/db/config-generation';
import { createConfigSnapshots } from '../../lib/db/config-snapshot';
import { createSequelize } from '../../lib/db/connection';
import { defineModels } from '../../lib/db/models';
import { createAssignmentActivities } from '../../activities/assignment';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * A new ticket's configuration is kept between creates and read again after any write to what
 * it is read from, whichever process (Sequelize instance) made the write, on SQLite and MariaDB.
 */
let db: TestDatabase;
/** The statements of the instance the snapshots read through, to tell a kept configuration from a fresh read. */
let seen: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  db.sequelize.addHook('afterQuery', (_options, query) => void seen.push(String((query as unknown as { sql: string }).sql)));
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

const readsTeams = () => seen.some((sql) => /FROM [`"]?teams[`"]? AS/.test(sql));

async function request() {
  const category = await db.models.Category.findOne({ where: { code: 'it-laptop' } });
  const requester = await db.models.User.findOne({ where: { active: true } });
  return { categoryId: category!.get('id') as number, requesterId: requester!.get('id') as number, customFields: {}, today: '2026-12-03' };
}

describe('the configuration a new ticket starts with', () => {
  test('when nothing changed, then the next snapshot reads one token instead of the configuration, and answers the same', async () => {
    const snapshots = createConfigSnapshots(db.models);
    const first = await snapshots.snapshot(await request());
    seen = [];
    const second = await snapshots.snapshot(await request());
    expect(readsTeams()).toBe(false);
    expect(second).toEqual(first);
  });

  test('when another process renames a team, adds a member or publishes a policy, then the next snapshot carries the change', async () => {
    const snapshots = createConfigSnapshots(db.models);
    const before = (await snapshots.snapshot(await request()))!;
    // Another process: its own connection and models, as the admin console in another API replica.
    const other = createSequelize(db.database);
    try {
      const models = defineModels(other);
      const team = before.teams[0]!;
      await models.Team.update({ name: `${team.name} (renamed)` }, { where: { id: team.id } });
      seen = [];
      const renamed = (await snapshots.snapshot(await request()))!;
      expect(readsTeams()).toBe(true);
      expect(renamed.teams[0]!.name).toBe(`${team.name} (renamed)`);
      expect(renamed.version).not.toBe(before.version);

      const outsider = await models.User.findOne({ where: { active: true, id: { [Op.notIn]: team.memberIds } } });
      await other.transaction(async (transaction) => {
        await models.TeamMember.create({ team_id: team.id, user_id: outsider!.get('id'), membership: 'agent', on_shift: true }, { transaction });
      });
      expect((await snapshots.snapshot(await request()))!.teams[0]!.memberIds).toContain(outsider!.get('id'));

      const policy = before.slaPolicies![0]!;
      await models.SlaPolicyVersion.create({
        policy_id: policy.id,
        version: policy.version + 1,
        snapshot: { firstResponseMinutes: 7, resolutionMinutes: 70, clock: '24x7', pauseStatuses: [], ladder: [] },
        published_by: 1,
        published_at: new Date(),
      });
      const published = (await snapshots.snapshot(await request()))!.slaPolicies!.find((p) => p.id === policy.id)!;
      expect(published).toMatchObject({ version: policy.version + 1, firstResponseMinutes: 7 });
    } finally {
      await other.close();
    }
  });

  test('when another process edits a category, deactivates it or gives it new fields, then the next create checks against what it is now', async () => {
    const snapshots = createConfigSnapshots(db.models);
    const { categoryId } = await request();
    const before = (await snapshots.current()).category(categoryId)!;
    const other = createSequelize(db.database);
    try {
      const models = defineModels(other);
      const fields = [...before.fields, { key: 'asset_tag', label: 'Asset tag', type: 'text', required: true }];
      await models.Category.update({ name: `${before.name} (renamed)`, field_schema: fields }, { where: { id: categoryId } });
      const edited = await snapshots.current();
      expect(edited.category(categoryId)).toMatchObject({ name: `${before.name} (renamed)`, fields });
      expect((await edited.snapshot(await request()))!.category.name).toBe(`${before.name} (renamed)`);
      await models.Category.update({ active: false }, { where: { id: categoryId } });
      const inactive = await snapshots.current();
      expect(inactive.category(categoryId)).toBeUndefined();
      expect(await inactive.snapshot(await request())).toBeUndefined();
    } finally {
      await db.models.Category.update({ name: before.name, field_schema: before.fields, active: true }, { where: { id: categoryId } });
      await other.close();
    }
  });

  test('when a transaction changing the configuration rolls back, or an assignment moves a round-robin pointer, then the token stays', async () => {
    const token = await configurationToken(db.sequelize);
    await expect(
      db.sequelize.transaction(async (transaction) => {
        await db.models.Team.update({ name: 'Never committed' }, { where: {}, transaction });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await configurationToken(db.sequelize)).toBe(token);

    const snapshot = (await createConfigSnapshots(db.models).snapshot(await request()))!;
    const team = snapshot.teams.find((t) => t.assignmentStrategy === 'round_robin' && t.memberIds.length > 1) ?? snapshot.teams[0]!;
    await db.models.Team.update({ assignment_strategy: 'round_robin' }, { where: { id: team.id } });
    const afterStrategy = await configurationToken(db.sequelize);
    expect(afterStrategy).not.toBe(token);
    const { chooseAssignee } = createAssignmentActivities({ sequelize: db.sequelize, models: db.models } as never);
    const chosen = await chooseAssignee({ requestKey: `cache-${Date.now()}`, ticketNumber: 1, teamId: team.id, strategy: 'round_robin', candidateIds: team.memberIds });
    expect(team.memberIds).toContain(chosen);
    expect(await configurationToken(db.sequelize)).toBe(afterStrategy);
  });

  test('when a configuration write fails, then the token stays; when one is made in a savepoint, then the token changes only once the outer transaction commits', async () => {
    const [first, second] = await db.models.Team.findAll({ order: [['id', 'ASC']], limit: 2 });
    const token = await configurationToken(db.sequelize);
    await expect(db.models.Team.update({ code: second!.get('code') }, { where: { id: first!.get('id') } })).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
    expect(await configurationToken(db.sequelize)).toBe(token);

    let duringOuter: string | undefined;
    await db.sequelize.transaction(async (outer) => {
      await db.sequelize.transaction({ transaction: outer }, async (savepoint) => {
        await db.models.Team.update({ name: 'Renamed in a savepoint' }, { where: { id: first!.get('id') }, transaction: savepoint });
      });
      duringOuter = await configurationToken(db.sequelize);
    });
    expect(duringOuter).toBe(token);
    expect(await configurationToken(db.sequelize)).not.toBe(token);
  });

  // On MariaDB the pool holds ten connections: a token set while a write still held its own would leave fifteen writes waiting for an eleventh.
  test('when more configuration writes than the connection pool holds run at once outside transactions, then they all finish and the token changes', async () => {
    const team = await db.models.Team.findOne({ order: [['id', 'ASC']] });
    const token = await configurationToken(db.sequelize);
    await Promise.all(Array.from({ length: 15 }, (_, i) => db.models.Team.update({ name: `Burst ${i}` }, { where: { id: team!.get('id') } })));
    expect(await configurationToken(db.sequelize)).not.toBe(token);
  }, 20_000);

  test('writtenTable names the table of each kind of write Sequelize and the product send, and nothing for reads', () => {
    expect(writtenTable('INSERT INTO `teams` (`id`) VALUES (1)')).toBe('teams');
    expect(writtenTable('INSERT OR IGNORE INTO `team_members` (`team_id`) VALUES (1)')).toBe('team_members');
    expect(writtenTable('INSERT IGNORE INTO `team_members` (`team_id`) VALUES (1)')).toBe('team_members');
    expect(writtenTable('UPDATE `users` SET `name`=$1 WHERE `id` = $2')).toBe('users');
    expect(writtenTable('DELETE FROM `routing_rules` WHERE `id` = 3')).toBe('routing_rules');
    expect(writtenTable('TRUNCATE TABLE `departments`')).toBe('departments');
    expect(writtenTable('SELECT * FROM `teams`')).toBeUndefined();
    expect(writtenTable('BEGIN DEFERRED TRANSACTION;')).toBeUndefined();
  });
});
