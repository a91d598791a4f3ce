import crypto from 'node:crypto';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';

/**
 * Server-sent events from the live feed: who hears of which change, and catching up
 * after a reconnect. Emma's payroll ticket belongs to People Operations (Harper).
 */
let h: Harness;
let payroll: number;

beforeAll(async () => {
  h = await startHarness();
  payroll = await h.categoryId('hr-payroll');
}, 120_000);

afterAll(async () => {
  for (const s of streams) s.close();
  await h?.stop();
});

interface SseEvent {
  id?: string;
  event: string;
  data: { number?: number; seq?: number; id?: string; ticketNumber?: number | null };
}

/** An open event stream, parsed as it arrives, that can be waited on. */
class Stream {
  readonly events: SseEvent[] = [];
  private readonly abort = new AbortController();
  private waiters: Array<() => void> = [];
  ready!: Promise<void>;

  static async open(as: DemoUserKey, lastEventId?: string): Promise<Stream> {
    const stream = new Stream();
    const response = await fetch(`${h.apiUrl}/live`, {
      headers: { authorization: `Bearer ${await h.token(as)}`, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
      signal: stream.abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    void stream.read(response.body!);
    streams.push(stream);
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
          if (fields.data === undefined) continue;
          this.events.push({ id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) });
          for (const wake of this.waiters.splice(0)) wake();
        }
      }
    } catch {
      // Closed by the test.
    }
  }

  /** Resolves with the first event matching, or fails saying what it waited for. */
  async next(what: string, match: (e: SseEvent) => boolean, timeoutMs = 30_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no server-sent event "${what}" within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}
const streams: Stream[] = [];

async function raise(): Promise<number> {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Overtime missing', description: 'October', categoryId: payroll },
  });
  expect(response.status).toBe(201);
  return response.body.data.number;
}

async function seqOf(number: number, type: string, body: string): Promise<number> {
  const events = (await h.request('GET', `/tickets/${number}/events?limit=200`, { as: 'harper' })).body.data as Array<{ seq: number; type: string; data: { body?: string } }>;
  const event = events.find((e) => e.type === type && e.data.body === body);
  if (!event) throw new Error(`no ${type} event "${body}" on #${number}`);
  return event.seq;
}

test('when an agent adds an internal note and a public reply, then the requester hears only of the reply, the agent of both, and another employee of neither', async () => {
  // Arrange
  const number = await raise();
  const [emma, harper, priya] = await Promise.all([Stream.open('emma'), Stream.open('harper'), Stream.open('priya')]);

  // Act
  expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'Checking the payroll run', visibility: 'internal' } })).status).toBe(201);
  expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'We are on it', visibility: 'public' } })).status).toBe(201);
  const [internalSeq, publicSeq] = [await seqOf(number, 'internal_note', 'Checking the payroll run'), await seqOf(number, 'public_reply', 'We are on it')];

  // Assert
  await harper.next('internal note for the agent', (e) => e.event === 'ticket' && e.data.number === number && e.data.seq === internalSeq);
  await harper.next('public reply for the agent', (e) => e.event === 'ticket' && e.data.number === number && e.data.seq === publicSeq);
  const reply = await emma.next('public reply for the requester', (e) => e.event === 'ticket' && e.data.number === number && e.data.seq === publicSeq);
  expect(Number(reply.id)).toBeGreaterThan(0);
  expect(emma.events.some((e) => e.data.number === number && e.data.seq === internalSeq)).toBe(false);
  expect(priya.events.some((e) => e.data.number === number)).toBe(false);
}, 90_000);

test('when a page reconnects with the last event id it saw, then it is first told of the changes it missed', async () => {
  // Arrange: Emma hears of her new ticket, then goes offline
  const number = await raise();
  const first = await Stream.open('emma');
  expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'First answer', visibility: 'public' } })).status).toBe(201);
  const seen = await first.next('first answer', (e) => e.event === 'ticket' && e.data.number === number);
  first.close();

  // Act: a change while she is away, then she reconnects from the id she last saw
  expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'Answer while away', visibility: 'public' } })).status).toBe(201);
  const missedSeq = await (async () => {
    for (;;) {
      try {
        return await seqOf(number, 'public_reply', 'Answer while away');
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  })();
  const again = await Stream.open('emma', seen.id);

  // Assert
  const missed = await again.next('the change missed while offline', (e) => e.event === 'ticket' && e.data.number === number && e.data.seq === missedSeq);
  expect(Number(missed.id)).toBeGreaterThan(Number(seen.id));
}, 90_000);

test('when a notification is written for someone listening, then their stream says so', async () => {
  const number = await raise();
  const emma = await Stream.open('emma');

  expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'A reply that notifies', visibility: 'public' } })).status).toBe(201);

  await emma.next('a notification about the ticket', (e) => e.event === 'notification' && e.data.ticketNumber === number);
}, 90_000);
