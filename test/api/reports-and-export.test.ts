import crypto from 'node:crypto';
import Papa from 'papaparse';
import type { DemoUserKey } from '../support/demo-accounts';
import { createTicketReads, type ExportRow } from '../../api/ticket-reads';
import { demoSubject } from '../../lib/db/demo-org';
import { createOrganisation } from '../../lib/db/organisation';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
// Titles are trimmed on the way in, so tab and carriage-return prefixes are covered by the unit test of neutralise.
const hostile = ['=HYPERLINK("http://evil.example","x")', '+cmd|calc', '-2+3 formula', '@SUM(A1:A9)', '=1+1'];

beforeAll(async () => {
  h = await startHarness();
  const laptop = await h.categoryId('it-laptop');
  const payroll = await h.categoryId('hr-payroll');
  for (const title of hostile) await create('emma', laptop, title, 'high');
  await create('priya', payroll, 'Payslip missing', 'low');
  const first = await create('emma', laptop, 'Answered quickly', 'critical');
  await h.request('POST', `/tickets/${first.number}/messages`, { as: 'lee', body: { body: 'On it' } });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function create(as: DemoUserKey, categoryId: number, title: string, priority: string) {
  const response = await h.request('POST', '/tickets', { as, headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: 'report data', categoryId, priority } });
  expect(response.status).toBe(201);
  return response.body.data;
}

async function csv(path: string, as: DemoUserKey) {
  const response = await fetch(`${h.apiUrl}${path}`, { headers: { authorization: `Bearer ${await h.token(as)}` } });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('reports', () => {
  test('when a requester asks for a report, then 403', async () => {
    expect((await h.request('GET', '/reports/backlog', { as: 'emma' })).status).toBe(403);
  });

  test('when an unknown report is asked for, then 400 names it', async () => {
    const response = await h.request('GET', '/reports/everything', { as: 'ada' });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe('name');
  });

  test("when a lead asks for the backlog, then only their teams' open tickets are counted, by priority and age", async () => {
    const lee = await h.request('GET', '/reports/backlog', { as: 'lee' });
    expect(lee.body.data.columns).toEqual(['priority', 'under_1_day', 'days_1_to_3', 'days_3_to_7', 'days_7_to_30', 'over_30_days', 'total']);
    const byPriority = Object.fromEntries(lee.body.data.rows.map((r: unknown[]) => [r[0], Number(r[6])]));
    expect(byPriority).toEqual({ critical: 1, high: hostile.length });
    const admin = await h.request('GET', '/reports/backlog', { as: 'ada' });
    expect(Object.fromEntries(admin.body.data.rows.map((r: unknown[]) => [r[0], Number(r[6])]))).toEqual({ critical: 1, high: hostile.length, low: 1 });
  });

  test('when SLA compliance is asked for, then the met first response is counted for its team', async () => {
    const report = await h.request('GET', '/reports/sla-compliance?period=month', { as: 'ada' });
    const columns = report.body.data.columns as string[];
    // Summed over the desk's periods: set-up that straddles midnight at a month's end makes two rows, not a failure.
    const desk = (report.body.data.rows as unknown[][]).filter((r) => r[1] === 'IT Service Desk');
    expect(desk.length).toBeGreaterThanOrEqual(1);
    const total = (column: string) => desk.reduce((sum, r) => sum + Number(r[columns.indexOf(column)]), 0);
    expect({ tickets: total('tickets'), first_response_met: total('first_response_met'), first_response_breached: total('first_response_breached') }).toEqual({
      tickets: hostile.length + 1,
      first_response_met: 1,
      first_response_breached: 0,
    });
  });

  test('when a report is downloaded as CSV, then it is a CSV attachment with the same rows', async () => {
    const download = await csv('/reports/volume?format=csv', 'ada');
    expect(download.status).toBe(200);
    expect(download.type).toMatch(/^text\/csv/);
    const parsed = Papa.parse<string[]>(download.text.trim());
    expect(parsed.data[0]).toEqual(['period', 'category', 'channel', 'tickets']);
    expect(parsed.data.slice(1).map((r) => r[1]).sort()).toEqual(['Laptop request', 'Payroll question']);
    // The same rows as the JSON report, cell for cell.
    const json = await h.request('GET', '/reports/volume', { as: 'ada' });
    expect(parsed.data[0]).toEqual(json.body.data.columns);
    expect(parsed.data.slice(1)).toEqual((json.body.data.rows as unknown[][]).map((r) => r.map((cell) => (cell === null ? '' : String(cell)))));
  });
});

describe('ticket export', () => {
  test('when titles are hostile formulas, then every such cell is neutralised in the export', async () => {
    const download = await csv('/tickets/export', 'emma');
    expect(download.status).toBe(200);
    const rows = Papa.parse<string[]>(download.text.trim()).data;
    const titles = rows.slice(1).map((r) => r[1]!);
    for (const title of hostile) expect(titles).toContain(`'${title}`);
    expect(titles.every((t) => !/^[=+\-@\t\r]/.test(t))).toBe(true);
  });

  test("when a requester exports, then only their own tickets are in it", async () => {
    const rows = Papa.parse<string[]>((await csv('/tickets/export', 'priya')).text.trim()).data;
    expect(rows.slice(1).map((r) => r[1])).toEqual(['Payslip missing']);
  });

  test("when an admin exports, then each row holds what the list shows of that ticket, names and instants included", async () => {
    // Workflows may still be projecting the fixture's changes: compare against a list that held still across the export.
    const list = async () => (await h.request('GET', '/tickets?limit=100', { as: 'ada' })).body.data as Array<Record<string, unknown>>;
    let listed: Array<Record<string, unknown>> = [];
    let rows: string[][] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await list();
      rows = Papa.parse<string[]>((await csv('/tickets/export', 'ada')).text.trim()).data;
      listed = await list();
      if (JSON.stringify(before) === JSON.stringify(listed)) break;
    }
    const header = rows[0]!;
    expect(listed.length).toBeLessThan(100);
    expect(rows.length - 1).toBe(listed.length);
    const byNumber = new Map(listed.map((t) => [String(t.number), t]));
    for (const row of rows.slice(1)) {
      const ticket = byNumber.get(row[0]!)!;
      const expected = header.map((column) => {
        const value = ticket[column];
        if (value === null) return '';
        if (column === 'title' && /^[=+\-@]/.test(value as string)) return `'${value}`;
        return String(value);
      });
      expect(row).toEqual(expected);
    }
    // The fixture's tickets name a category, a department, a team and a requester each.
    expect(rows.slice(1).every((r) => r[header.indexOf('requesterName')] && r[header.indexOf('categoryName')] && r[header.indexOf('teamName')])).toBe(true);
  });

  test('when the export spans many pages, then every page is named alike and no ticket is repeated or lost', async () => {
    const reads = createTicketReads(h.db.models);
    const ada = (await createOrganisation(h.db.models).userBySubject(demoSubject('ada')))!;
    const pages: ExportRow[][] = [];
    for await (const page of reads.exportPages({ scope: 'all' }, ada, 2)) pages.push(page);
    const all = (await h.request('GET', '/tickets?limit=100&sort=created_asc', { as: 'ada' })).body.data as Array<Record<string, unknown>>;
    expect(pages.length).toBe(Math.ceil(all.length / 2));
    const exported = pages.flat();
    expect(exported.map((t) => t.number)).toEqual(all.map((t) => t.number as number).sort((a, b) => a - b));
    for (const t of exported) {
      const listed = all.find((a) => a.number === t.number)!;
      expect({ requester: t.requesterName, team: t.teamName, category: t.categoryName, department: t.departmentName, assignee: t.assigneeName, createdAt: t.createdAt })
        .toEqual({ requester: listed.requesterName, team: listed.teamName, category: listed.categoryName, department: listed.departmentName, assignee: listed.assigneeName, createdAt: listed.createdAt });
    }
  });

  test('when an export filter is invalid, then 400 names it', async () => {
    const response = await h.request('GET', '/tickets/export?priority=urgent', { as: 'emma' });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toMatch(/^priority/);
  });
});

describe('ticket detail', () => {
  test("when a ticket's detail is read, then it names the ticket as its list row does, assigned or not", async () => {
    const listed = (await h.request('GET', '/tickets?limit=100&sort=created_asc', { as: 'ada' })).body.data as Array<Record<string, unknown>>;
    const sample = [...listed.filter((t) => t.assigneeId === null).slice(0, 3), ...listed.filter((t) => t.assigneeId !== null).slice(0, 3), ...listed.filter((t) => t.teamId === null).slice(0, 1)];
    expect(sample.some((t) => t.assigneeId === null) && sample.some((t) => t.assigneeId !== null)).toBe(true);
    const namesOf = (t: Record<string, unknown>) => ({ requester: t.requesterName, assignee: t.assigneeName, team: t.teamName, category: t.categoryName, department: t.departmentName });
    for (const t of sample) {
      const detail = (await h.request('GET', `/tickets/${t.number}`, { as: 'ada' })).body.data as Record<string, unknown>;
      expect(namesOf(detail)).toEqual(namesOf(t));
      expect(detail.requesterName).toEqual(expect.any(String));
    }
  });
});

describe('team queue filters', () => {
  const numbers = async (query: string) => {
    const response = await h.request('GET', `/tickets?limit=100&${query}`, { as: 'ada' });
    expect(response.status).toBe(200);
    return (response.body.data as Array<{ number: number; title: string; priority: string; departmentId: number; teamId: number | null; updatedAt: string }>);
  };

  test('when filtered by priority, department, team and free text, then only matching tickets come back', async () => {
    const all = await numbers('');
    expect(all.length).toBeGreaterThanOrEqual(7);
    expect((await numbers('priority=critical')).map((t) => t.title)).toEqual(['Answered quickly']);
    const payroll = all.find((t) => t.title === 'Payslip missing')!;
    expect((await numbers(`departmentId=${payroll.departmentId}`)).map((t) => t.title)).toEqual(['Payslip missing']);
    expect((await numbers(`teamId=${payroll.teamId}`)).every((t) => t.teamId === payroll.teamId)).toBe(true);
    expect((await numbers('q=payslip')).map((t) => t.title)).toEqual(['Payslip missing']);
  });

  test('when filtered by an updated-at range, then the bounds are inclusive below and exclusive above', async () => {
    const all = await numbers('sort=updated_asc');
    const middle = all[Math.floor(all.length / 2)]!;
    const from = await numbers(`updatedFrom=${encodeURIComponent(middle.updatedAt)}`);
    const to = await numbers(`updatedTo=${encodeURIComponent(middle.updatedAt)}`);
    expect(from.map((t) => t.number)).toContain(middle.number);
    expect(to.map((t) => t.number)).not.toContain(middle.number);
    expect(from.length + to.length).toBe(all.length);
    expect((await numbers(`createdFrom=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`))).toEqual([]);
  });

  test('when a range bound is not a date-time, then 400 names it and nothing is listed', async () => {
    const response = await h.request('GET', '/tickets?updatedFrom=yesterday', { as: 'ada' });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.error)).toContain('updatedFrom');
  });
});

describe('approval turnaround', () => {
  test('when a step has been decided twice, then its median and p90 are observed turnarounds and the counts split by outcome', async () => {
    const purchase = await h.categoryId('fin-purchase');
    const raise = async (title: string) => {
      const response = await h.request('POST', '/tickets', {
        as: 'emma',
        headers: { 'Idempotency-Key': crypto.randomUUID() },
        body: { title, description: 'Licences', categoryId: purchase, customFields: { amount: 500, vendor: 'Acme' } },
      });
      expect(response.status).toBe(201);
      return response.body.data.number as number;
    };
    const approved = await raise('Turnaround approved');
    const rejected = await raise('Turnaround rejected');
    expect((await h.request('POST', `/tickets/${approved}/approval/approve`, { as: 'mark', body: {} })).status).toBe(200);
    expect((await h.request('POST', `/tickets/${rejected}/approval/reject`, { as: 'mark', body: { reason: 'Not this quarter' } })).status).toBe(200);

    const report = await h.request('GET', '/reports/approval-turnaround', { as: 'ada' });

    expect(report.body.data.columns).toEqual(['step', 'decisions', 'approved', 'rejected', 'median_hours', 'p90_hours', 'average_hours', 'longest_hours']);
    expect(report.body.data.rows).toHaveLength(1);
    const [, decisions, yes, no, median, p90, average, longest] = report.body.data.rows[0] as number[];
    expect([decisions, yes, no]).toEqual([2, 1, 1]);
    // Nearest rank over two values: the median is the shorter wait, p90 the longer one.
    expect(median).toBeLessThanOrEqual(average!);
    expect(p90).toBe(longest);
    const csvRows = Papa.parse<string[]>((await csv('/reports/approval-turnaround?format=csv', 'ada')).text.trim()).data;
    expect(csvRows.slice(1).map((r) => r.map(Number).slice(1))).toEqual([[decisions, yes, no, median, p90, average, longest]]);
  });
});
