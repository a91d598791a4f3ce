import crypto from 'node:crypto';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

/** Watchers on Emma's payroll ticket, owned by People Operations (Harper, lead Hannah). */
let h: Harness;
let payroll: number;

beforeAll(async () => {
  h = await startHarness();
  payroll = await h.categoryId('hr-payroll');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function raise(): Promise<number> {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Overtime missing', description: 'October', categoryId: payroll },
  });
  return response.body.data.number;
}

const watch = (as: DemoUserKey, number: number, userId?: number) => h.request('POST', `/tickets/${number}/watchers`, { as, body: userId === undefined ? {} : { userId } });
const watchers = async (as: DemoUserKey, number: number) => (await h.request('GET', `/tickets/${number}/watchers`, { as })).body.data.map((w: { userId: number }) => w.userId);
const say = (as: DemoUserKey, number: number, body: string, visibility: 'public' | 'internal' = 'public') =>
  h.request('POST', `/tickets/${number}/messages`, { as, body: { body, visibility } });

async function notificationsOf(user: DemoUserKey, number: number): Promise<Array<{ kind: string; body: string }>> {
  const response = await h.request('GET', '/notifications?limit=200', { as: user });
  return response.body.data.filter((n: { ticketNumber: number }) => n.ticketNumber === number);
}

/** Waits until the workflow's effects for the ticket have run (the notify activity comes after projection). */
function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what = 'the ticket\'s effects to show', timeoutMs = 20_000): Promise<T> {
  return waitUntil(what, read, done, { timeoutMs, intervalMs: 200 });
}

describe('watch and unwatch: who may', () => {
  test.each([
    ['emma', 201],
    ['priya', 404],
    ['harper', 201],
    ['alex', 404],
    ['hannah', 201],
    ['mark', 404],
    ['ada', 201],
  ] as Array<[DemoUserKey, number]>)('when %s watches the ticket themselves, then %i', async (person, expected) => {
    const number = await raise();
    expect((await watch(person, number)).status).toBe(expected);
    if (expected === 201) {
      expect(await watchers(person, number)).toContain(await h.userId(person));
      expect((await watch(person, number)).status).toBe(200);
      expect((await h.request('DELETE', `/tickets/${number}/watchers/${await h.userId(person)}`, { as: person })).status).toBe(200);
      expect(await watchers(person, number)).not.toContain(await h.userId(person));
    }
  });

  test('when staff add someone who can see the ticket, then they watch; someone who cannot is refused naming userId', async () => {
    const number = await raise();
    expect((await watch('harper', number, await h.userId('hannah'))).status).toBe(201);
    const outsider = await watch('harper', number, await h.userId('alex'));
    expect(outsider.status).toBe(400);
    expect(outsider.body.error.details[0].field).toBe('userId');
    expect((await watch('harper', number, 999_999)).status).toBe(400);
  });

  test('when a requester adds or removes someone else, then 403; they see only their own entry', async () => {
    const number = await raise();
    await watch('harper', number);
    expect((await watch('emma', number, await h.userId('hannah'))).status).toBe(403);
    expect((await h.request('DELETE', `/tickets/${number}/watchers/${await h.userId('harper')}`, { as: 'emma' })).status).toBe(403);
    await watch('emma', number);
    expect(await watchers('emma', number)).toEqual([await h.userId('emma')]);
    expect((await watchers('hannah', number)).sort()).toEqual([await h.userId('emma'), await h.userId('harper')].sort());
    expect((await h.request('DELETE', `/tickets/${number}/watchers/${await h.userId('harper')}`, { as: 'hannah' })).status).toBe(200);
    expect((await h.request('DELETE', `/tickets/${number}/watchers/${await h.userId('harper')}`, { as: 'hannah' })).status).toBe(404);
  });

  test('when someone who cannot see the ticket lists or removes watchers, then 404', async () => {
    const number = await raise();
    expect((await h.request('GET', `/tickets/${number}/watchers`, { as: 'priya' })).status).toBe(404);
    expect((await h.request('DELETE', `/tickets/${number}/watchers/${await h.userId('emma')}`, { as: 'alex' })).status).toBe(404);
  });
});

describe('watchers and notifications', () => {
  test('when an agent @mentions a colleague in a public reply, then the colleague watches the ticket and is notified', async () => {
    const number = await raise();
    expect((await say('harper', number, 'Looping in @hannah@example.com for the overtime rules.')).status).toBe(201);
    const hannah = await h.userId('hannah');
    const list = await eventually(() => watchers('harper', number), (ids: number[]) => ids.includes(hannah), 'hannah to be among the watchers');
    expect(list).toContain(hannah);
    const row = await h.db.models.TicketWatcher.findOne({ where: { ticket_number: number, user_id: hannah } });
    expect(row?.get('reason')).toBe('mention');
    expect((await notificationsOf('hannah', number)).map((n) => n.kind)).toContain('mention');
  });

  test('when an agent @mentions a colleague and the requester in an internal note, then the colleague is notified and watches, and the requester hears nothing', async () => {
    const number = await raise();
    expect((await say('harper', number, 'SECRET: @hannah@example.com please check, not for @emma@example.com', 'internal')).status).toBe(201);
    const hannah = await eventually(() => notificationsOf('hannah', number), (n) => n.some((x) => x.kind === 'mention'), 'hannah\'s mention notification');
    expect(hannah.find((n) => n.kind === 'mention')?.body).toContain('SECRET');
    expect(await watchers('harper', number)).toContain(await h.userId('hannah'));
    await say('harper', number, 'A public word so the note has surely been handled');
    const emma = await eventually(() => notificationsOf('emma', number), (n) => n.some((x) => x.kind === 'public_reply'), 'emma\'s public-reply notification');
    expect(JSON.stringify(emma)).not.toContain('SECRET');
    expect(emma.map((n) => n.kind)).not.toContain('mention');
  });

  test('when a mention names someone who cannot see the ticket, then they are neither notified nor watching', async () => {
    const number = await raise();
    await say('harper', number, 'Maybe @alex@example.com knows?');
    await say('harper', number, 'Second message so the first one has surely been delivered');
    await eventually(() => notificationsOf('emma', number), (n) => n.filter((x) => x.kind === 'public_reply').length >= 2, 'emma\'s two public-reply notifications');
    expect(await notificationsOf('alex', number)).toEqual([]);
    expect(await h.db.models.TicketWatcher.count({ where: { ticket_number: number } })).toBe(0);
  });

  test('when a watcher follows a ticket, then a public reply reaches them and an internal note never does', async () => {
    const number = await raise();
    expect((await watch('hannah', number)).status).toBe(201);
    await say('harper', number, 'SECRET internal remark', 'internal');
    await say('harper', number, 'We are checking your overtime');
    const hannah = await eventually(() => notificationsOf('hannah', number), (n) => n.some((x) => x.kind === 'public_reply'), 'emma\'s public-reply notification');
    expect(hannah.map((n) => n.kind)).toContain('public_reply');
    expect(JSON.stringify(hannah)).not.toContain('SECRET');
  });

  test('when a requester watches a ticket and an agent writes only an internal note, then the requester gets nothing from it', async () => {
    const number = await raise();
    await watch('emma', number);
    const kinds = (list: Array<{ kind: string }>) => list.map((n) => n.kind).sort();
    const before = await notificationsOf('emma', number);
    await say('harper', number, 'SECRET note about the requester', 'internal');
    // A public reply after the note: its notification arriving means the note's effects have run too (in order).
    await say('harper', number, 'Public marker after the note');
    const after = await eventually(() => notificationsOf('emma', number), (n) => n.some((x) => x.kind === 'public_reply'), "emma's notification of the public reply sent after the note");
    expect(JSON.stringify(after)).not.toContain('SECRET');
    // The only thing the requester got since is that public reply: nothing from the note.
    expect(kinds(after)).toEqual(kinds([...before, { kind: 'public_reply' }]));
  });

  test('when a watcher can no longer see the ticket, then they stop receiving its notifications', async () => {
    const number = await raise();
    const alex = await h.userId('alex');
    // Recorded directly: alex was once allowed (say, on a shared ticket) and no longer is.
    await h.db.models.TicketWatcher.create({ ticket_number: number, user_id: alex, added_by: null, reason: 'manual', created_at: new Date() });
    await say('harper', number, 'Public update for everyone watching');
    await eventually(() => notificationsOf('emma', number), (n) => n.some((x) => x.kind === 'public_reply'), 'emma\'s public-reply notification');
    expect(await notificationsOf('alex', number)).toEqual([]);
  });

  test('when a watcher replies, then the others hear of it and the watcher does not hear of their own reply', async () => {
    const number = await raise();
    await watch('hannah', number);
    await watch('harper', number);
    expect((await say('hannah', number, 'Looking into the overtime rules')).status).toBe(201);
    await eventually(() => notificationsOf('emma', number), (n) => n.some((x) => x.kind === 'public_reply'), 'emma\'s public-reply notification');
    await eventually(() => notificationsOf('harper', number), (n) => n.some((x) => x.kind === 'public_reply'), 'emma\'s public-reply notification');
    expect((await notificationsOf('hannah', number)).filter((n) => n.kind === 'public_reply')).toEqual([]);
  });

  test('when the status changes, then a watcher hears of it like the requester does', async () => {
    const number = await raise();
    await watch('hannah', number);
    const act = (action: string, body: object = {}) => h.request('POST', `/tickets/${number}/actions/${action}`, { as: 'harper', body });
    expect((await act('assign', { assigneeId: await h.userId('harper') })).status).toBe(200);
    expect((await act('start')).status).toBe(200);
    const hannah = await eventually(() => notificationsOf('hannah', number), (n) => n.some((x) => x.kind === 'status_changed'));
    expect(hannah.map((n) => n.kind)).toContain('status_changed');
  });
});
