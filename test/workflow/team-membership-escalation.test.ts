import type { DateTime } from 'luxon';
import { createMembershipFanOut } from '../../api/admin/team-membership';
import { createTeamAdmin } from '../../api/admin/teams';
import { createOrganisation } from '../../lib/db/organisation';
import { startTimeSkipping, type TimeSkippingHarness } from '../support/time-skipping';
import { waitUntil } from '../support/wait';

let h: TimeSkippingHarness;

beforeAll(async () => {
  h = await startTimeSkipping();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

/** A wall-clock time in Berlin on a day of the given week (0 = Monday). */
const at = (week: DateTime, day: number, clock: string) => {
  const [hour, minute] = clock.split(':').map(Number);
  return week.plus({ days: day }).set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
};

describe('membership changes and the SLA ladder (time-skipping server)', () => {
  test('when the team lead changes while a High ticket waits, then two business hours later it is handed to the new lead, not the one at start', async () => {
    const { models } = h.db;
    const teams = createTeamAdmin(models, createMembershipFanOut({ models, client: h.env.client, taskQueue: h.taskQueue }));
    const ada = (await createOrganisation(models).userByEmail('ada@example.com'))!;
    const [lee, nina] = [await h.userId('lee'), await h.userId('nina')];
    const serviceDesk = (await models.Team.findOne({ where: { code: 'it-service-desk' } }))!.get('id') as number;

    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 1, '09:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    const { number } = await h.view(handle);

    // At 09:30 the admin makes Nina the Service Desk's lead and takes Lee (its lead at start) off the team.
    await h.skipTo(at(week, 1, '09:30'));
    const promoted = await teams.putMember(ada, serviceDesk, nina, { membership: 'lead', onShift: true, expectedVersion: (await teams.get(serviceDesk)).version });
    const after = await teams.removeMember(ada, serviceDesk, lee, promoted.version);
    await waitUntil(
      `ticket ${number} to take up the Service Desk's membership v${after.version}`,
      () => h.view(handle),
      (view) => (view.teamMemberships ?? []).some((m) => m.teamId === serviceDesk && m.version === after.version),
    );

    await h.skipTo(at(week, 1, '12:00'));
    const backup = (await h.events(number)).find((e) => e.type === 'escalation' && e.data.action === 'assign_backup');
    expect(backup?.data).toMatchObject({ result: `assigned to backup ${nina}`, assigneeId: nina });
    expect((await h.view(handle)).assigneeId).toBe(nina);
  });
});
