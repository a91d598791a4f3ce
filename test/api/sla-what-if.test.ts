import crypto from 'node:crypto';
import Papa from 'papaparse';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';
import { TICKETS } from '../unit/fixtures/what-if-tickets';

/**
 * The what-if endpoint over the read tables: the unit fixture's recorded tickets are written
 * into ticket_events (as numbers 9001…, in November 2026) beside tickets raised now through
 * real workflows, so the figures are checked both against known answers and against the
 * reports endpoint's SLA compliance for the same period.
 */
let h: Harness;
let startedAt: Date;
const OFFSET = 9000;
const NOVEMBER = { from: '2026-11-01T00:00:00Z', to: '2026-11-21T00:00:00Z' };

beforeAll(async () => {
  h = await startHarness();
  startedAt = new Date(Date.now() - 60_000);
  const laptop = await h.categoryId('it-laptop');
  const tickets = [];
  for (const priority of ['high', 'medium', 'low']) {
    const response = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title: `What-if ${priority}`, description: 'd', categoryId: laptop, priority } });
    expect(response.status).toBe(201);
    tickets.push(response.body.data);
  }
  await h.request('POST', `/tickets/${tickets[0].number}/messages`, { as: 'lee', body: { body: 'On it' } });
  const resolve = await h.request('POST', `/tickets/${tickets[1].number}/actions/resolve`, { as: 'ada', body: { resolution: 'Fixed' } });
  expect(resolve.status).toBe(200);

  const { models } = h.db;
  const requesterId = await h.userId('emma');
  for (const t of TICKETS) {
    const created = t.events[0]!.occurredAt;
    await models.Ticket.create({
      number: OFFSET + t.number, workflow_id: `ticket-${OFFSET + t.number}`, title: `Recorded #${t.number}`, description: 'fixture', status: 'resolved',
      priority: String(t.events[0]!.data.priority), channel: 'portal', category_id: laptop, department_id: 1, team_id: 1, requester_id: requesterId,
      custom_fields: {}, seq: t.events.length, created_at: created, updated_at: created, sla: { fixture: true },
    });
    await models.TicketEvent.bulkCreate(
      t.events.map((e) => ({
        ticket_number: OFFSET + t.number, seq: e.seq, type: e.type,
        actor_id: e.actorId === t.requesterId ? requesterId : e.actorId, from_status: e.fromStatus, to_status: e.toStatus,
        data: e.data, occurred_at: e.occurredAt, visibility: 'public',
      })),
    );
  }
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

async function whatIf(body: unknown, as: DemoUserKey = 'ada', format = 'ndjson') {
  const response = await fetch(`${h.apiUrl}/admin/sla/what-if?format=${format}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await h.token(as)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const lines = response.headers.get('content-type')?.includes('ndjson') ? text.trim().split('\n').map((l) => JSON.parse(l)) : [];
  return { status: response.status, type: response.headers.get('content-type'), text, lines, json: lines.length ? null : safeJson(text) };
}

function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function calendar() {
  const calendars = await h.request('GET', '/admin/calendars', { as: 'ada' });
  return calendars.body.data.find((c: { code: string }) => c.code === 'eu-office');
}

describe('SLA what-if', () => {
  test('when a holiday is added on Wednesday 4 November, then exactly recorded #3 leaves breach, streamed with progress and a summary', async () => {
    const eu = await calendar();
    const draft = { kind: 'calendar', calendarId: eu.id, calendar: { timeZone: eu.timeZone, weeklyHours: eu.weeklyHours, holidays: [...eu.holidays, { date: '2026-11-04', name: 'Strike day' }] } };
    const answer = await whatIf({ draft, ...NOVEMBER });
    expect(answer.status).toBe(200);
    expect(answer.lines[0]).toMatchObject({ type: 'start', tickets: TICKETS.length });
    expect(answer.lines.filter((l) => l.type === 'progress').at(-1)).toMatchObject({ done: TICKETS.length, total: TICKETS.length });
    expect(answer.lines.filter((l) => l.type === 'breach').map((l) => `#${l.number - OFFSET} ${l.clock} ${l.change}`)).toEqual(['#3 resolution lost']);
    const summary = answer.lines.at(-1);
    expect(summary.type).toBe('summary');
    expect(summary.summary).toMatchObject({ tickets: TICKETS.length, breachesGained: 0, breachesLost: 1 });
    expect(summary.summary.medianMinutesToDueChange.resolution).toBeGreaterThan(0);
  });

  test('when the medium first-response target is shortened to 60 minutes, then exactly recorded #4 gains a breach', async () => {
    const policies = await h.request('GET', '/admin/sla-policies', { as: 'ada' });
    const medium = policies.body.data.find((p: { departmentId: number; teamId: number | null; priority: string }) => p.departmentId === 1 && p.teamId === null && p.priority === 'medium');
    const { firstResponseMinutes: _fr, id: _id, version: _v, departmentId: _d, teamId: _t, priority: _p, published: _pub, unpublishedChanges: _u, ...rest } = medium;
    const answer = await whatIf({ draft: { kind: 'policy', policyId: medium.id, policy: { ...rest, firstResponseMinutes: 60 } }, ...NOVEMBER, priority: 'medium' });
    expect(answer.status).toBe(200);
    expect(answer.lines.filter((l) => l.type === 'breach').map((l) => `#${l.number - OFFSET} ${l.clock} ${l.change}`)).toEqual(['#4 first_response gained']);
  });

  test("when the period holds the tickets raised through the workflows, then the today column's compliance is what the reports say", async () => {
    const eu = await calendar();
    const period = { from: startedAt.toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const answer = await whatIf({ draft: { kind: 'calendar', calendarId: eu.id, calendar: { timeZone: eu.timeZone, weeklyHours: eu.weeklyHours, holidays: eu.holidays } }, ...period });
    const today = answer.lines.at(-1).summary.today;
    const report = await h.request('GET', `/reports/sla-compliance?from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}`, { as: 'ada' });
    const sum = (column: string) => report.body.data.rows.reduce((s: number, r: unknown[]) => s + Number(r[report.body.data.columns.indexOf(column)]), 0);
    expect(today.tickets).toBe(sum('tickets'));
    expect(today.tickets).toBe(3);
    expect({ met: today.firstResponse.met, breached: today.firstResponse.breached }).toEqual({ met: sum('first_response_met'), breached: sum('first_response_breached') });
    expect({ met: today.resolution.met, breached: today.resolution.breached }).toEqual({ met: sum('resolution_met'), breached: sum('resolution_breached') });
    expect(today.firstResponse.met).toBeGreaterThanOrEqual(1);
  });

  test('when the preview is downloaded as CSV, then it has one row per ticket with both sides', async () => {
    const eu = await calendar();
    const draft = { kind: 'calendar', calendarId: eu.id, calendar: { timeZone: eu.timeZone, weeklyHours: eu.weeklyHours, holidays: [...eu.holidays, { date: '2026-11-04', name: 'Strike day' }] } };
    const answer = await whatIf({ draft, ...NOVEMBER }, 'ada', 'csv');
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/csv/);
    const rows = Papa.parse<string[]>(answer.text.trim()).data;
    expect(rows[0]).toEqual(expect.arrayContaining(['ticket', 'today_resolution', 'draft_resolution', 'change']));
    expect(rows).toHaveLength(TICKETS.length + 1);
    const third = rows.find((r) => r[0] === String(OFFSET + 3))!;
    expect(third[rows[0]!.indexOf('today_resolution')]).toBe('breached');
    expect(third[rows[0]!.indexOf('draft_resolution')]).toBe('met');
  });

  test('when a lead or an agent asks, then 403', async () => {
    const draft = { kind: 'ladder', policyId: 1, ladder: [] };
    expect((await whatIf({ draft }, 'lee')).status).toBe(403);
    expect((await whatIf({ draft }, 'alex')).status).toBe(403);
  });

  test('when the draft is unusable, then 400 names each field', async () => {
    const fields = async (body: unknown) => (await whatIf(body)).json?.error?.details?.map((d: { field: string }) => d.field);
    expect(await fields({ draft: { kind: 'ladder', policyId: 1, ladder: [{ afterMinutes: -5, action: 'notify_role' }] } })).toEqual(['draft.ladder.0.afterMinutes', 'draft.ladder.0.role']);
    expect(await fields({ draft: { kind: 'ladder', policyId: 999, ladder: [] } })).toEqual(['draft.policyId']);
    expect(await fields({ draft: { kind: 'calendar', calendarId: 1, calendar: { timeZone: 'Mars/Olympus', weeklyHours: {}, holidays: [] } } })).toEqual(expect.arrayContaining(['draft.calendar.timeZone']));
    expect(await fields({ draft: { kind: 'ladder', policyId: 1, ladder: [] }, from: '2026-11-10T00:00:00Z', to: '2026-11-01T00:00:00Z' })).toEqual(['from']);
    expect(await fields({ draft: { kind: 'nonsense' } })).toEqual(['draft.kind']);
    expect((await whatIf({ draft: { kind: 'ladder', policyId: 1, ladder: [] }, priority: 'urgent' })).status).toBe(400);
  });

  test("when a shorter target is saved but not published, then today's column is unchanged; once published, today has it", async () => {
    const eu = await calendar();
    const unchangedCalendar = { kind: 'calendar', calendarId: eu.id, calendar: { timeZone: eu.timeZone, weeklyHours: eu.weeklyHours, holidays: eu.holidays } };
    const todayFirstResponseBreaches = async () => (await whatIf({ draft: unchangedCalendar, ...NOVEMBER, priority: 'medium' })).lines.at(-1).summary.today.firstResponse.breached as number;
    const policies = await h.request('GET', '/admin/sla-policies', { as: 'ada' });
    const medium = policies.body.data.find((p: { departmentId: number; teamId: number | null; priority: string }) => p.departmentId === 1 && p.teamId === null && p.priority === 'medium');
    const body = (firstResponseMinutes: number, version: number) => ({ firstResponseMinutes, resolutionMinutes: medium.resolutionMinutes, clock: medium.clock, pauseStatuses: medium.pauseStatuses, ladder: medium.ladder, version });
    const before = await todayFirstResponseBreaches();

    const saved = await h.request('PUT', `/admin/sla-policies/${medium.id}`, { as: 'ada', body: body(60, medium.version) });
    expect(saved.status).toBe(200);
    expect(saved.body.data.unpublishedChanges).toBe(true);
    expect(await todayFirstResponseBreaches()).toBe(before);

    const published = await h.request('POST', `/admin/sla-policies/${medium.id}/publish`, { as: 'ada', body: { expectedVersion: saved.body.data.version } });
    expect(published.status).toBe(200);
    // Recorded #4 (replied after 180 minutes) breaches a 60-minute first response.
    expect(await todayFirstResponseBreaches()).toBe(before + 1);

    // Put the medium policy back for whatever runs after.
    const restored = await h.request('PUT', `/admin/sla-policies/${medium.id}`, { as: 'ada', body: body(medium.firstResponseMinutes, saved.body.data.version) });
    expect((await h.request('POST', `/admin/sla-policies/${medium.id}/publish`, { as: 'ada', body: { expectedVersion: restored.body.data.version } })).status).toBe(200);
    expect(await todayFirstResponseBreaches()).toBe(before);
  });
});
