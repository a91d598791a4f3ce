import crypto from 'node:crypto';
import http from 'node:http';
import Papa from 'papaparse';
import pino from 'pino';
import { createImportRunner } from '../../api/imports/runner';
import { createTicketReads } from '../../api/ticket-reads';
import { createTicketService } from '../../api/ticket-service';
import { createOrganisation } from '../../lib/db/organisation';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const HEADER = ['external_id', 'requester_email', 'title', 'description', 'category', 'priority', 'cf.software'];
const csvOf = (rows: string[][], header = HEADER) => Papa.unparse([header, ...rows], { newline: '\r\n' });

async function upload(csv: string, as: DemoUserKey = 'lee', headers: Record<string, string> = {}) {
  const response = await fetch(`${h.apiUrl}/imports?filename=tickets.csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await h.token(as)}`, 'content-type': 'text/csv', ...headers },
    body: csv,
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** Polls the import's progress endpoint, the contract a client of a background job has. */
async function finished(id: string, as: DemoUserKey = 'lee', timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await h.request('GET', `/imports/${id}`, { as });
    if (['completed', 'failed'].includes(response.body.data.status)) return response.body.data;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${response.body.data.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const run = crypto.randomUUID().slice(0, 8);
const HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click me")';

const MIXED: string[][] = [
  [`${run}-good-1`, 'emma@example.com', 'Install the VPN client', 'Needed for travel', 'it-software', 'high', 'WireGuard'],
  [`${run}-good-2`, 'priya@example.com', HOSTILE_TITLE, 'Formula in the title', 'Software installation', 'P4', 'Excel'],
  [`${run}-good-3`, 'emma@example.com', 'Payslip question', 'October payslip', 'hr-payroll', '', ''],
  [`${run}-bad-email`, 'not-an-email', 'Broken email', 'x', 'it-software', 'low', 'Vim'],
  [`${run}-unknown-requester`, 'ghost@example.com', 'Nobody', 'x', 'it-software', 'low', 'Vim'],
  [`${run}-unknown-category`, 'emma@example.com', 'No such category', 'x', 'teleportation', 'low', ''],
  [`${run}-missing-title`, 'emma@example.com', '', 'x', 'hr-payroll', 'low', ''],
  [`${run}-bad-priority`, 'emma@example.com', 'Urgent!!!', 'x', 'hr-payroll', 'yesterday', ''],
  [`${run}-bad-field`, 'emma@example.com', 'Software missing', 'x', 'it-software', 'low', ''],
  [`${run}-good-1`, 'emma@example.com', 'Same id again', 'x', 'it-software', 'low', 'Vim'],
  ['=cmd|\' /C calc\'!A0', 'emma@example.com', '@SUM(1+1)', 'x', 'hr-payroll', 'urgent', ''],
];

describe('CSV import', () => {
  let importId: string;
  let report: any;

  beforeAll(async () => {
    const response = await upload(csvOf(MIXED));
    expect(response.status).toBe(202);
    importId = response.body.data.id;
    report = await finished(importId);
  }, 120_000);

  test('when a file mixes good and bad rows, then the good ones become tickets and each bad one is reported with its column', async () => {
    expect(report).toMatchObject({ status: 'completed', totals: { rows: 11, created: 3, existing: 0, failed: 8, pending: 0 } });
    const errors = await h.request('GET', `/imports/${importId}/errors?limit=50`, { as: 'lee' });
    expect(errors.status).toBe(200);
    const byId = Object.fromEntries(errors.body.data.map((e: any) => [e.externalId, e.errors.map((x: any) => x.field)]));
    expect(byId).toMatchObject({
      [`${run}-bad-email`]: ['requester_email'],
      [`${run}-unknown-requester`]: ['requester_email'],
      [`${run}-unknown-category`]: ['category'],
      [`${run}-missing-title`]: ['title'],
      [`${run}-bad-priority`]: ['priority'],
      [`${run}-bad-field`]: ['cf.software'],
      [`${run}-good-1`]: ['external_id'],
    });
    expect(errors.body.pagination).toMatchObject({ total: 8 });
  });

  test('when a title is a spreadsheet formula, then it is stored as plain text on an import-channel ticket of the row requester', async () => {
    const priya = await h.userId('priya');
    const ticket = await h.db.models.Ticket.findOne({ where: { title: HOSTILE_TITLE } });
    expect(ticket?.get('requester_id')).toBe(priya);
    expect(ticket?.get('channel')).toBe('import');
    expect(ticket?.get('priority')).toBe('low');
  });

  test('when the errors are downloaded as CSV, then cells that would run as formulas are neutralised', async () => {
    const response = await fetch(`${h.apiUrl}/imports/${importId}/errors?format=csv`, { headers: { authorization: `Bearer ${await h.token('lee')}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const parsed = Papa.parse<string[]>(await response.text(), { skipEmptyLines: true }).data;
    expect(parsed[0]).toEqual(['row', 'external_id', 'column', 'message']);
    const hostile = parsed.filter((r) => r[1]?.includes('cmd|'));
    expect(hostile.length).toBeGreaterThan(0);
    for (const r of hostile) expect(r[1]!.startsWith("'=")).toBe(true);
    expect(parsed.slice(1).every((r) => !/^[=+\-@]/.test(r[1] ?? ''))).toBe(true);
  });

  test('when the same file is imported again, then nothing new is created and the existing ticket numbers are reported', async () => {
    const before = await h.db.models.Ticket.count();
    const again = await upload(csvOf(MIXED));
    const second = await finished(again.body.data.id);
    expect(second.totals).toMatchObject({ created: 0, existing: 3, failed: 8 });
    expect(await h.db.models.Ticket.count()).toBe(before);
    const first = await h.db.models.ImportRow.findAll({ where: { import_id: importId, outcome: 'created' }, order: [['row_number', 'ASC']] });
    const repeat = await h.db.models.ImportRow.findAll({ where: { import_id: again.body.data.id, outcome: 'existing' }, order: [['row_number', 'ASC']] });
    expect(repeat.map((r) => r.get('ticket_number'))).toEqual(first.map((r) => r.get('ticket_number')));
  }, 120_000);
});

describe('CSV import idempotency is per requester', () => {
  test('when another file reuses an external id for a different requester, then a new ticket is raised and no other requester ticket is named', async () => {
    const id = `${run}-shared-id`;
    const first = await finished((await upload(csvOf([[id, 'emma@example.com', 'From system X', 'x', 'hr-payroll', 'low', '']]))).body.data.id);
    expect(first.totals).toMatchObject({ created: 1 });
    const second = await finished((await upload(csvOf([[id, 'priya@example.com', 'From system Y', 'x', 'hr-payroll', 'low', '']]), 'ada')).body.data.id, 'ada');
    expect(second.totals).toMatchObject({ created: 1, existing: 0 });
    const numbers = await h.db.models.ImportRow.findAll({ where: { external_id: id }, attributes: ['ticket_number'] });
    const tickets = await h.db.models.Ticket.findAll({ where: { number: numbers.map((r) => r.get('ticket_number') as number) } });
    expect(tickets.map((t) => t.get('title')).sort()).toEqual(['From system X', 'From system Y']);
  }, 120_000);
});

describe('CSV import refusals', () => {
  test.each([
    ['emma', 403],
    ['alex', 403],
    ['mark', 403],
    ['hannah', 202],
    ['ada', 202],
  ] as Array<[DemoUserKey, number]>)('when %s uploads, then only leads and admins may (%i)', async (person, expected) => {
    const response = await upload(csvOf([[`${run}-perm-${person}`, 'emma@example.com', 'Permission check', 'x', 'hr-payroll', 'low', '']]), person);
    expect(response.status).toBe(expected);
    if (expected === 202) await finished(response.body.data.id, person);
  });

  test('when someone other than the uploader or an admin asks for an import, then it does not exist for them', async () => {
    const { body } = await upload(csvOf([[`${run}-private`, 'emma@example.com', 'Private import', 'x', 'hr-payroll', 'low', '']]), 'lee');
    await finished(body.data.id);
    expect((await h.request('GET', `/imports/${body.data.id}`, { as: 'hannah' })).status).toBe(404);
    expect((await h.request('GET', `/imports/${body.data.id}/errors`, { as: 'emma' })).status).toBe(404);
    expect((await h.request('GET', `/imports/${body.data.id}`, { as: 'ada' })).status).toBe(200);
  });

  test('when the header lacks required columns or names unknown ones, then 422 names them and nothing is kept', async () => {
    const before = await h.db.models.Import.count();
    const response = await upload(csvOf([['1', 'emma@example.com', 'x']], ['external_id', 'requester_email', 'colour']));
    expect(response.status).toBe(422);
    expect(response.body.error.details.map((d: any) => d.field).sort()).toEqual(['category', 'colour', 'description', 'title']);
    expect(await h.db.models.Import.count()).toBe(before);
  });

  test('when the declared size is over the cap, then 413 before anything is read', async () => {
    // fetch refuses a Content-Length it does not send, so declare one by hand and send only a little.
    const url = new URL(`${h.apiUrl}/imports`);
    const token = await h.token('lee');
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'content-length': String(21 * 1024 * 1024) } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
          request.destroy();
        },
      );
      request.on('error', reject);
      request.write('external_id\r\n');
    });
    expect(status).toBe(413);
  });

  test('when the body is not CSV, then 415 names the content type', async () => {
    const response = await h.request('POST', '/imports', { as: 'lee', body: { rows: [] } });
    expect(response.status).toBe(415);
    expect(response.body.error.details[0].field).toBe('Content-Type');
  });

  test('when the file has a header but no rows, then 422', async () => {
    expect((await upload(csvOf([]))).status).toBe(422);
  });
});

describe('CSV import at volume', () => {
  test('when a few hundred rows import, then they all become tickets while health and ticket lists keep answering', async () => {
    const rows = Array.from({ length: 240 }, (_, i) => [`${run}-bulk-${i}`, i % 2 ? 'emma@example.com' : 'priya@example.com', `Bulk ticket ${i}`, 'Imported in bulk', 'hr-payroll', 'low', '']);
    const response = await upload(csvOf(rows));
    expect(response.status).toBe(202);
    const id = response.body.data.id;
    const probes: number[] = [];
    const latencies: number[] = [];
    let status = 'queued';
    while (status !== 'completed' && status !== 'failed') {
      const started = Date.now();
      const [health, list] = await Promise.all([h.request('GET', '/health'), h.request('GET', '/tickets?limit=20', { as: 'hannah' })]);
      latencies.push(Date.now() - started);
      probes.push(health.status, list.status);
      status = (await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data.status;
    }
    const report = await finished(id);
    expect(report.totals).toMatchObject({ rows: 240, created: 240, failed: 0 });
    expect(probes.length).toBeGreaterThan(4);
    expect(probes.every((s) => s === 200)).toBe(true);
    const tickets = await h.db.models.Ticket.count({ where: { channel: 'import', title: { [require('sequelize').Op.like]: 'Bulk ticket %' } } });
    expect(tickets).toBe(240);
  }, 300_000);
});

describe('CSV import after a restart', () => {
  test('when the process working on an import went away, then a sweep in another process resumes it from the pending rows', async () => {
    const id = crypto.randomUUID();
    const lee = await h.userId('lee');
    await h.db.models.Import.create({
      id,
      created_by: lee,
      filename: 'interrupted.csv',
      status: 'running',
      total_rows: 2,
      created_count: 0,
      existing_count: 0,
      failed_count: 0,
      lease_owner: 'a-dead-process',
      lease_until: new Date(Date.now() - 1000),
      created_at: new Date(),
      started_at: new Date(),
    });
    const cells = (n: number) => ({ external_id: `${run}-resumed-${n}`, requester_email: 'emma@example.com', title: `Resumed ${n}`, description: 'x', category: 'hr-payroll', priority: 'low' });
    await h.db.models.ImportRow.bulkCreate([1, 2].map((n) => ({ import_id: id, row_number: n, external_id: `${run}-resumed-${n}`, outcome: 'pending', data: cells(n) })));

    const models = h.db.models;
    const organisation = createOrganisation(models);
    const reads = createTicketReads(models);
    const service = createTicketService({ client: h.env.client, models, organisation, reads, temporal: h.config.temporal });
    const runner = createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 2 });
    expect(await runner.sweep()).toContain(id);
    await runner.idle();
    expect((await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data).toMatchObject({ status: 'completed', totals: { created: 2, pending: 0 } });
  }, 120_000);

  test('when a process shuts down mid-import, then rows in flight finish, the rest wait with the lease released, and a sweep finishes them', async () => {
    const id = crypto.randomUUID();
    const lee = await h.userId('lee');
    const count = 12;
    await h.db.models.Import.create({ id, created_by: lee, filename: 'shutdown.csv', status: 'queued', total_rows: count, created_count: 0, existing_count: 0, failed_count: 0, created_at: new Date() });
    const cells = (n: number) => ({ external_id: `${run}-shutdown-${n}`, requester_email: 'emma@example.com', title: `Shutdown ${n}`, description: 'x', category: 'hr-payroll', priority: 'low' });
    await h.db.models.ImportRow.bulkCreate(Array.from({ length: count }, (_, i) => ({ import_id: id, row_number: i + 1, external_id: `${run}-shutdown-${i + 1}`, outcome: 'pending', data: cells(i + 1) })));
    const models = h.db.models;
    const organisation = createOrganisation(models);
    const service = createTicketService({ client: h.env.client, models, organisation, reads: createTicketReads(models), temporal: h.config.temporal });
    const first = createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 1 });
    void first.start(id);
    // Let a row or two through, then shut down as SIGTERM would.
    for (let i = 0; i < 100 && (await models.ImportRow.count({ where: { import_id: id, outcome: 'created' } })) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await first.stop();
    const paused = await models.Import.findByPk(id);
    expect(paused?.get('status')).toBe('running');
    expect(paused?.get('lease_owner')).toBeNull();
    const pending = await models.ImportRow.count({ where: { import_id: id, outcome: 'pending' } });
    expect(pending).toBeGreaterThan(0);
    expect(pending).toBeLessThan(count);

    const second = createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 2 });
    expect(await second.sweep()).toContain(id);
    await second.idle();
    expect((await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data).toMatchObject({ status: 'completed', totals: { created: count, pending: 0 } });
  }, 120_000);

  test('when an upload was cut off mid-way, then the sweep marks it failed with a clear reason', async () => {
    const id = crypto.randomUUID();
    await h.db.models.Import.create({ id, created_by: await h.userId('lee'), filename: 'cut.csv', status: 'receiving', lease_until: new Date(Date.now() - 1000), created_at: new Date() });
    const models = h.db.models;
    const organisation = createOrganisation(models);
    const service = createTicketService({ client: h.env.client, models, organisation, reads: createTicketReads(models), temporal: h.config.temporal });
    await createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 1 }).sweep();
    expect((await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data).toMatchObject({ status: 'failed', failure: expect.stringContaining('upload it again') });
  });
});
