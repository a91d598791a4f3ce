import crypto from 'node:crypto';
import { startHarness, type Harness } from '../support/harness';

/**
 * Malformed list filters and ids found by probing the API by hand: each is a 400 naming the
 * parameter (they were a 500, a download that never ended, or another spelling of ticket 2).
 */
let h: Harness;
let number: number;

beforeAll(async () => {
  h = await startHarness();
  const created = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Headset crackles', description: 'Left ear only', categoryId: await h.categoryId('it-laptop') },
  });
  expect(created.status).toBe(201);
  number = created.body.data.number;
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

describe('list filters with control characters', () => {
  test.each([
    ['/tickets?q=a%00b', 'q'],
    ['/tickets?q=%1Bheadset', 'q'],
    ['/tickets/export?q=a%00b', 'q'],
    ['/tickets?cf.vendor=a%00b', 'cf.vendor'],
  ])('when %s is asked for, then 400 names %s', async (path, field) => {
    const response = await h.request('GET', path, { as: 'ada' });
    expect({ status: response.status, fields: response.body?.error?.details?.map((d: { field: string }) => d.field) }).toEqual({ status: 400, fields: [field] });
  });

  test('when the same search has no control character, then it finds the ticket', async () => {
    const response = await h.request('GET', '/tickets?q=headset', { as: 'ada' });
    expect(response.status).toBe(200);
    expect(response.body.data.map((t: { number: number }) => t.number)).toContain(number);
  });
});

describe('periods given backwards', () => {
  test.each([
    ['/tickets?createdFrom=2026-12-02T00:00:00Z&createdTo=2026-12-01T00:00:00Z', 'createdTo'],
    ['/tickets?updatedFrom=2026-12-02T00:00:00Z&updatedTo=2026-12-01T23:59:59Z', 'updatedTo'],
    ['/tickets/export?createdFrom=2026-12-02T00:00:00Z&createdTo=2026-12-01T00:00:00Z', 'createdTo'],
    ['/reports/REPORT?from=2026-12-02T00:00:00Z&to=2026-11-02T00:00:00Z', 'to'],
  ])('when %s ends before it starts, then 400 names %s instead of an empty answer', async (path, field) => {
    const response = await h.request('GET', path.replace('REPORT', (await h.request('GET', '/reports', { as: 'lee' })).body.data[0]), { as: 'lee' });
    expect({ status: response.status, fields: response.body?.error?.details?.map((d: { field: string }) => d.field) }).toEqual({ status: 400, fields: [field] });
  });

  test('when a period starts and ends at the same instant, then it is answered', async () => {
    const response = await h.request('GET', '/tickets?createdFrom=2026-12-01T00:00:00Z&createdTo=2026-12-01T00:00:00Z', { as: 'lee' });
    expect(response.status).toBe(200);
  });
});

describe('sorting by what falls due first', () => {
  test('when tickets of several priorities are listed soonest due first, then the shortest target leads, and one with no clock running comes last', async () => {
    const tag = `duesort${crypto.randomUUID().slice(0, 6)}`;
    const raise = async (priority: string) => {
      const created = await h.request('POST', '/tickets', {
        as: 'emma',
        headers: { 'Idempotency-Key': crypto.randomUUID() },
        body: { title: `${tag} ${priority}`, description: 'Sorting', categoryId: await h.categoryId('it-laptop'), priority },
      });
      expect(created.status).toBe(201);
      return created.body.data.number as number;
    };
    const low = await raise('low');
    const critical = await raise('critical');
    const high = await raise('high');
    const parked = await raise('medium');
    await h.request('POST', `/tickets/${parked}/actions/cancel`, { as: 'emma', body: { reason: 'Not needed' } });
    const listed = await h.request('GET', `/tickets?q=${tag}&sort=due`, { as: 'ada' });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((t: { number: number }) => t.number)).toEqual([critical, high, low, parked]);
  });
});

describe('ids in the path', () => {
  test('when the ticket number is written another way than plain digits, then 400 names it instead of answering that ticket', async () => {
    for (const spelling of [`0x${number.toString(16)}`, `${number}e0`, `${number}.0`, `%20${number}`, `+${number}`, `0${number}`]) {
      const response = await h.request('GET', `/tickets/${spelling}`, { as: 'emma' });
      expect({ spelling, status: response.status, field: response.body?.error?.details?.[0]?.field }).toEqual({ spelling, status: 400, field: 'number' });
    }
    expect((await h.request('GET', `/tickets/${number}`, { as: 'emma' })).status).toBe(200);
  });

  test('when an admin id is not a plain whole number, then 400 names it', async () => {
    const response = await h.request('GET', '/admin/calendars/1e0/preview', { as: 'ada' });
    expect({ status: response.status, field: response.body?.error?.details?.[0]?.field }).toEqual({ status: 400, field: 'id' });
  });
});
