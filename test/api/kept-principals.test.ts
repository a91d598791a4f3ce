import type { QueryOptions } from 'sequelize';
import type { ConfigurationWriteOptions } from '../../lib/db/config-generation';
import { createSequelize } from '../../lib/db/connection';
import { demoSubject } from '../../lib/db/demo-org';
import { keptPrincipals } from '../../lib/db/kept-principals';
import { defineModels } from '../../lib/db/models';
import { createOrganisation } from '../../lib/db/organisation';
import { startHarness, type Harness } from '../support/harness';

/**
 * The signed-in person is kept between their requests, and read again as soon as anything they
 * are made of changes: through this API, or through another process's connection.
 */
let h: Harness;
let statements: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  h.db.sequelize.addHook('afterQuery', (_options, query) => void statements.push(String((query as unknown as { sql: string }).sql)));
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const readsPeople = () => statements.filter((sql) => /^SELECT .* FROM [`"]?users[`"]? AS/s.test(sql));

const me = (as: 'emma' | 'lee' | 'priya') => h.request('GET', '/me', { as });

/** Another API replica, the directory sync or SCIM in another process: its own connection and models. */
async function inAnotherProcess<T>(change: (models: ReturnType<typeof defineModels>) => Promise<T>): Promise<T> {
  const other = createSequelize(h.db.database);
  try {
    return await change(defineModels(other));
  } finally {
    await other.close();
  }
}

describe('the person behind a token', () => {
  test('when the same person calls again and nothing changed, then their profile is not read again', async () => {
    expect((await me('emma')).status).toBe(200);
    statements = [];
    const again = await me('emma');
    expect(again.status).toBe(200);
    expect(again.body.data.email).toMatch(/emma/);
    expect(readsPeople()).toEqual([]);
  });

  test('when another process gives the person a role, then their next request carries it', async () => {
    const id = await h.userId('priya');
    const before = (await me('priya')).body.data.roles as string[];
    expect(before).not.toContain('agent');
    await inAnotherProcess((models) => models.User.update({ roles: [...before, 'agent'] }, { where: { id } }));
    expect((await me('priya')).body.data.roles).toEqual([...before, 'agent']);
    await inAnotherProcess((models) => models.User.update({ roles: before }, { where: { id } }));
    expect((await me('priya')).body.data.roles).toEqual(before);
  });

  test('when another process deactivates the person, then their next request is refused', async () => {
    const id = await h.userId('lee');
    expect((await me('lee')).status).toBe(200);
    await inAnotherProcess((models) => models.User.update({ active: false }, { where: { id } }));
    try {
      const refused = await me('lee');
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('UNKNOWN_USER');
    } finally {
      await inAnotherProcess((models) => models.User.update({ active: true }, { where: { id } }));
    }
    expect((await me('lee')).status).toBe(200);
  });

  test("when the person is added to a team and then taken off it, then each next request shows it", async () => {
    const id = await h.userId('emma');
    const team = await h.db.models.Team.findOne({ where: { code: 'facilities-ops' } });
    const teamId = team!.get('id') as number;
    const teamsOfEmma = async () => ((await me('emma')).body.data.teams as Array<{ id: number }>).map((t) => t.id);
    expect(await teamsOfEmma()).not.toContain(teamId);
    await inAnotherProcess((models) => models.TeamMember.create({ team_id: teamId, user_id: id, membership: 'agent', on_shift: true }));
    try {
      expect(await teamsOfEmma()).toContain(teamId);
    } finally {
      await inAnotherProcess((models) => models.TeamMember.destroy({ where: { team_id: teamId, user_id: id } }));
    }
    expect(await teamsOfEmma()).not.toContain(teamId);
  });

  test('when a change sets no token (made by hand in a SQL console), then it is seen once the kept profile is older than the limit', async () => {
    let clock = 1_000_000;
    const principalBySubject = keptPrincipals(createOrganisation(h.db.models), h.db.sequelize, { maxAgeMs: 10_000, now: () => clock });
    const sub = demoSubject('priya');
    const title = (await principalBySubject(sub))!.title;
    // What a hand edit looks like to the configuration generation: a write that sets no new token.
    const byHand = { replacements: { title: 'Changed by hand', sub }, configGenerationWrite: true } as QueryOptions & ConfigurationWriteOptions;
    await h.db.sequelize.query('UPDATE users SET title = :title WHERE auth_subject = :sub', byHand);
    try {
      clock += 9_999;
      expect((await principalBySubject(sub))!.title).toBe(title);
      clock += 1;
      expect((await principalBySubject(sub))!.title).toBe('Changed by hand');
    } finally {
      await h.db.models.User.update({ title }, { where: { auth_subject: sub } });
    }
  });

  test('when the shared token cannot be written after a change, then this process still reads the person again and warns', async () => {
    const principalBySubject = keptPrincipals(createOrganisation(h.db.models), h.db.sequelize);
    const sub = demoSubject('priya');
    const before = (await principalBySubject(sub))!.roles;
    const sequelize = h.db.sequelize as unknown as { query: (sql: unknown, options?: unknown) => Promise<unknown> };
    const tracked = sequelize.query;
    const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    sequelize.query = (sql, options) => (typeof sql === 'string' && /^UPDATE app_meta SET value/.test(sql) ? Promise.reject(new Error('database is locked')) : tracked(sql, options));
    try {
      await h.db.models.User.update({ roles: [...before, 'agent'] }, { where: { auth_subject: sub } });
      expect((await principalBySubject(sub))!.roles).toEqual([...before, 'agent']);
      expect(warned).toHaveBeenCalledWith(expect.stringContaining('database is locked'), 'ConfigurationGenerationWarning');
    } finally {
      sequelize.query = tracked;
      warned.mockRestore();
      await h.db.models.User.update({ roles: before }, { where: { auth_subject: sub } });
    }
  });

  test('when a kept profile is changed by a request handler, then it throws instead of changing the next request', async () => {
    const principalBySubject = keptPrincipals(createOrganisation(h.db.models), h.db.sequelize);
    const profile = (await principalBySubject(demoSubject('emma')))!;
    expect(() => (profile.roles as string[]).push('admin')).toThrow(TypeError);
    expect((await principalBySubject(demoSubject('emma')))!.roles).not.toContain('admin');
  });
});
