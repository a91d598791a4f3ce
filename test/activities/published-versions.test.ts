import { publishedCalendars, publishedPolicies, type CalendarContent, type PolicyContent } from '../../lib/db/config-snapshot';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * What every new ticket starts with: each SLA policy and business calendar as last published,
 * read by key from the version rows (on SQLite and MariaDB alike), whatever order the versions
 * were written in and however many there are.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

describe('published configuration versions', () => {
  test('when policies were published several times, out of order, then each reads as its newest version and one never published as its own row', async () => {
    const policies = await db.models.SlaPolicy.findAll({ order: [['id', 'ASC']] });
    expect(policies.length).toBeGreaterThanOrEqual(3);
    const [first, second, unpublished] = policies.map((p) => p.get('id') as number);
    const content = (minutes: number): PolicyContent => ({ firstResponseMinutes: minutes, resolutionMinutes: minutes * 10, clock: 'business', pauseStatuses: ['waiting_on_requester'], ladder: [] });
    const publish = (policyId: number, version: number, minutes: number) =>
      db.models.SlaPolicyVersion.create({ policy_id: policyId, version, snapshot: content(minutes), published_by: 1, published_at: new Date() });
    // Written out of order: the newest is the highest version, not the last row written.
    await publish(first!, 3, 33);
    await publish(first!, 1, 11);
    await publish(first!, 2, 22);
    await publish(second!, 7, 77);

    const read = new Map((await publishedPolicies(db.models)).map((p) => [p.id, p]));
    expect(read.get(first!)).toMatchObject({ version: 3, firstResponseMinutes: 33, resolutionMinutes: 330 });
    expect(read.get(second!)).toMatchObject({ version: 7, firstResponseMinutes: 77 });
    const own = policies[2]!;
    expect(read.get(unpublished!)).toMatchObject({ version: own.get('version'), firstResponseMinutes: own.get('first_response_minutes') });
    expect(read.size).toBe(policies.length);
  });

  test('when a calendar was published twice, then it reads as the second publish', async () => {
    const [calendar] = await db.models.BusinessCalendar.findAll({ order: [['id', 'ASC']] });
    const id = calendar!.get('id') as number;
    const content = (zone: string): CalendarContent => ({ name: `Desk in ${zone}`, timeZone: zone, weeklyHours: { mon: [{ start: '08:00', end: '16:00' }] }, holidays: [] });
    await db.models.BusinessCalendarVersion.create({ calendar_id: id, version: 2, snapshot: content('Europe/Lisbon'), published_by: 1, published_at: new Date() });
    await db.models.BusinessCalendarVersion.create({ calendar_id: id, version: 1, snapshot: content('Europe/Paris'), published_by: 1, published_at: new Date() });
    const read = (await publishedCalendars(db.models)).find((c) => c.id === id);
    expect(read).toMatchObject({ version: 2, timeZone: 'Europe/Lisbon', name: 'Desk in Europe/Lisbon' });
  });
});
