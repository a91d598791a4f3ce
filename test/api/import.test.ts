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
import { waitUntil, within } from '../support/wait';

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

/** Polls the import's progress endpoint, the contract a client of a background job has; fails at the deadline. */
async function finished(id: string, as: DemoUserKey = 'lee', timeoutMs = 90_000) {
  const response = await waitUntil(
    `import ${id} to complete or fail`,
    () => h.request('GET', `/imports/${id}`, { as }),
    (r) => ['completed', 'failed'].includes(r.body.data?.status),
    { timeoutMs, intervalMs: 250 },
  );
  return response.body.data;
}

/** Uploads a file and waits for its import to finish: the set-up each behaviour below does for itself. */
async function imported(csv: string, as: DemoUserKey = 'lee') {
  const response = await upload(csv, as);
  expect(response.status).toBe(202);
  return { id: response.body.data.id as string, report: await finished(response.body.data.id, as) };
}

const run = crypto.randomUUID().slice(0, 8);
const HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click me")';

/** A file mixing good and bad rows; `tag` keeps each test's external ids its own. */
const mixed = (tag: string): string[][] => [
  [`${run}-${tag}-good-1`, 'emma@example.com', 'Install the VPN client', 'Needed for travel', 'it-software', 'high', 'WireGuard'],
  [`${run}-${tag}-good-2`, 'priya@example.com', `${HOSTILE_TITLE} ${tag}`, 'Formula in the title', 'Software installation', 'P4', 'Excel'],
  [`${run}-${tag}-good-3`, 'emma@example.com', 'Payslip question', 'October payslip', 'hr-payroll', '', ''],
  [`${run}-${tag}-bad-email`, 'not-an-email', 'Broken email', 'x', 'it-software', 'low', 'Vim'],
  [`${run}-${tag}-unknown-requester`, 'ghost@example.com', 'Nobody', 'x', 'it-software', 'low', 'Vim'],
  [`${run}-${tag}-unknown-category`, 'emma@example.com', 'No such category', 'x', 'teleportation', 'low', ''],
  [`${run}-${tag}-missing-title`, 'emma@example.com', '', 'x', 'hr-payroll', 'low', ''],
  [`${run}-${tag}-bad-priority`, 'emma@example.com', 'Urgent!!!', 'x', 'hr-payroll', 'yesterday', ''],
  [`${run}-${tag}-bad-field`, 'emma@example.com', 'Software missing', 'x', 'it-software', 'low', ''],
  [`${run}-${tag}-good-1`, 'emma@example.com', 'Same id again', 'x', 'it-software', 'low', 'Vim'],
  [`=cmd|' /C calc'!A0${tag}`, 'emma@example.com', '@SUM(1+1)', 'x', 'hr-payroll', 'urgent', ''],
];

// Each behaviour uploads its own file: one slow import fails one test, not four.
describe('CSV import', () => {
  test('when a file mixes good and bad rows, then the good ones become tickets and each bad one is reported with its column', async () => {
    const tag = 'mixed';
    const { id, report } = await imported(csvOf(mixed(tag)));
    expect(report).toMatchObject({ status: 'completed', totals: { rows: 11, created: 3, existing: 0, failed: 8, pending: 0 } });
    const errors = await h.request('GET', `/imports/${id}/errors?limit=50`, { as: 'lee' });
    expect(errors.status).toBe(200);
    const byId = Object.fromEntries(errors.body.data.map((e: any) => [e.externalId, e.errors.map((x: any) => x.field)]));
    expect(byId).toMatchObject({
      [`${run}-${tag}-bad-email`]: ['requester_email'],
      [`${run}-${tag}-unknown-requester`]: ['requester_email'],
      [`${run}-${tag}-unknown-category`]: ['category'],
      [`${run}-${tag}-missing-title`]: ['title'],
      [`${run}-${tag}-bad-priority`]: ['priority'],
      [`${run}-${tag}-bad-field`]: ['cf.software'],
      [`${run}-${tag}-good-1`]: ['external_id'],
    });
    expect(errors.body.pagination).toMatchObject({ total: 8 });
  }, 120_000);

  test('when a title is a spreadsheet formula, then it is stored as plain text on an import-channel ticket of the row requester', async () => {
    const title = `${HOSTILE_TITLE} formula`;
    const { report } = await imported(csvOf([[`${run}-formula`, 'priya@example.com', title, 'Formula in the title', 'Software installation', 'P4', 'Excel']]));
    expect(report.totals).toMatchObject({ created: 1 });
    const priya = await h.userId('priya');
    const ticket = await h.db.models.Ticket.findOne({ where: { title } });
    expect(ticket?.get('requester_id')).toBe(priya);
    expect(ticket?.get('channel')).toBe('import');
    expect(ticket?.get('priority')).toBe('low');
  }, 120_000);

  test('when the errors are downloaded as CSV, then cells that would run as formulas are neutralised', async () => {
    const { id } = await imported(csvOf([[`=cmd|' /C calc'!A0`, 'emma@example.com', '@SUM(1+1)', 'x', 'hr-payroll', 'urgent', ''], [`${run}-plain-bad`, 'x', 'y', 'x', 'hr-payroll', 'low', '']]));
    const response = await fetch(`${h.apiUrl}/imports/${id}/errors?format=csv`, { headers: { authorization: `Bearer ${await h.token('lee')}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const parsed = Papa.parse<string[]>(await response.text(), { skipEmptyLines: true }).data;
    expect(parsed[0]).toEqual(['row', 'external_id', 'column', 'message']);
    const hostile = parsed.filter((r) => r[1]?.includes('cmd|'));
    expect(hostile.length).toBeGreaterThan(0);
    for (const r of hostile) expect(r[1]!.startsWith("'=")).toBe(true);
    expect(parsed.slice(1).every((r) => !/^[=+\-@]/.test(r[1] ?? ''))).toBe(true);
  }, 120_000);

  test('when the same file is imported again, then nothing new is created and the existing ticket numbers are reported', async () => {
    const file = csvOf(mixed('again'));
    const first = await imported(file);
    expect(first.report.totals).toMatchObject({ created: 3, failed: 8 });
    const before = await h.db.models.Ticket.count();
    const second = await imported(file);
    expect(second.report.totals).toMatchObject({ created: 0, existing: 3, failed: 8 });
    expect(await h.db.models.Ticket.count()).toBe(before);
    const created = await h.db.models.ImportRow.findAll({ where: { import_id: first.id, outcome: 'created' }, order: [['row_number', 'ASC']] });
    const repeat = await h.db.models.ImportRow.findAll({ where: { import_id: second.id, outcome: 'existing' }, order: [['row_number', 'ASC']] });
    expect(repeat.map((r) => r.get('ticket_number'))).toEqual(created.map((r) => r.get('ticket_number')));
  }, 180_000);
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

  /**
   * Sends `parts` as a chunked upload (no Content-Length, so only reading can find the
   * problem) and returns the answer; a reset connection fails the test saying so.
   */
  async function streamedUpload(parts: Iterable<string | Buffer>): Promise<{ status: number; body: any }> {
    const url = new URL(`${h.apiUrl}/imports`);
    const token = await h.token('lee');
    return new Promise((resolve, reject) => {
      const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
      request.on('error', (err) => reject(new Error(`the upload's connection failed instead of answering: ${String(err)}`)));
      const iterator = parts[Symbol.iterator]();
      const pump = () => {
        for (let next = iterator.next(); !next.done; next = iterator.next()) if (!request.write(next.value)) return void request.once('drain', pump);
        request.end();
      };
      pump();
    });
  }
  function* repeated(prefix: string, chunk: string, bytes: number) {
    yield prefix;
    for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
  }

  test('when the header is refused while much of the file is still coming, then the rest is read and the client gets the 422', async () => {
    const before = await h.db.models.Import.count();
    const row = `${run}-x,emma@example.com,t,d,hr-payroll,low\r\n`.repeat(1000);
    const answer = await streamedUpload(repeated('external_id,requester_email,colour\r\n', row, 4 * 1024 * 1024));
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('INVALID_CSV_HEADER');
    expect(await h.db.models.Import.count()).toBe(before);
  }, 120_000);

  test('when an undeclared upload passes the size cap mid-stream, then the rest is read and the client gets the 413', async () => {
    // One quoted cell that never closes: the parser yields no row, so only the byte cap can stop it.
    const answer = await streamedUpload(repeated(`${HEADER.join(',')}\r\n"`, 'a'.repeat(1024 * 1024), 21 * 1024 * 1024));
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  }, 120_000);

  test('when a file has more rows than allowed, then the client gets the 422 and nothing is kept', async () => {
    const before = await h.db.models.ImportRow.count();
    const rows = function* () {
      yield `${HEADER.join(',')}\r\n`;
      for (let i = 0; i <= 50_000; i += 1000) yield Array.from({ length: 1000 }, (_, j) => `${run}-many-${i + j},emma@example.com,t,d,hr-payroll,low,\r\n`).join('');
    };
    const answer = await streamedUpload(rows());
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('TOO_MANY_ROWS');
    expect(await h.db.models.ImportRow.count()).toBe(before);
  }, 180_000);

  test('when the body is not CSV, then 415 names the content type', async () => {
    const response = await h.request('POST', '/imports', { as: 'lee', body: { rows: [] } });
    expect(response.status).toBe(415);
    expect(response.body.error.details[0].field).toBe('Content-Type');
  });

  test('when the file has a header but no rows, then 422', async () => {
    expect((await upload(csvOf([]))).status).toBe(422);
  });

  /** The ticket a row of a finished import created (the runner clears a row's cells once it is done). */
  async function ticketOfRow(importId: string, rowNumber: number) {
    await finished(importId);
    const row = await h.db.models.ImportRow.findOne({ where: { import_id: importId, row_number: rowNumber } });
    expect({ row: rowNumber, outcome: row?.get('outcome'), errors: row?.get('errors') }).toEqual({ row: rowNumber, outcome: 'created', errors: null });
    return (await h.request('GET', `/tickets/${row!.get('ticket_number')}`, { as: 'ada' })).body.data as { title: string; priority: string };
  }

  test("when a character's bytes arrive in two pieces, then the row holds the character, not two replacement marks", async () => {
    const bytes = Buffer.from(`${HEADER.join(',')}\r\n${run}-utf8,emma@example.com,Café résumé naïve,Crème brûlée,hr-payroll,low,\r\n`, 'utf8');
    const cut = bytes.indexOf(Buffer.from('é', 'utf8')) + 1; // between the two bytes of the first é
    const answer = await streamedUpload([bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(answer.status).toBe(202);
    expect((await ticketOfRow(answer.body.data.id, 1)).title).toBe('Café résumé naïve');
  });

  test('when the file is not UTF-8 (an old spreadsheet saved as Latin-1), then 422 says so and nothing is kept', async () => {
    const before = await h.db.models.Import.count();
    const latin1 = Buffer.from(`${HEADER.join(',')}\r\n${run}-latin1,emma@example.com,Caf\u00e9 machine broken,x,hr-payroll,low,\r\n`, 'latin1');
    const answer = await streamedUpload([latin1]);
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 422, code: 'INVALID_ENCODING' });
    expect(await h.db.models.Import.count()).toBe(before);
  });

  test('when the first row leaves out a column, then that row is reported and the column still counts for the rows after it', async () => {
    const header = ['external_id', 'requester_email', 'title', 'description', 'category', 'priority'];
    const csv = [header.join(','), `${run}-short-1,emma@example.com,First,d,hr-payroll`, `${run}-short-2,emma@example.com,Second,d,hr-payroll,high`].join('\r\n');
    const answer = await upload(csv);
    expect(answer.status).toBe(202);
    const first = await h.db.models.ImportRow.findOne({ where: { import_id: answer.body.data.id, row_number: 1 } });
    expect({ outcome: first!.get('outcome'), fields: (first!.get('errors') as Array<{ field: string }>).map((e) => e.field) }).toEqual({ outcome: 'error', fields: ['priority'] });
    expect((await ticketOfRow(answer.body.data.id, 2)).priority).toBe('high');
  });

  test('when a blank line comes before the header, then the file imports as it did', async () => {
    const answer = await upload(`\r\n${csvOf([[`${run}-blank-first`, 'emma@example.com', 'After a blank line', 'd', 'hr-payroll', 'low', '']])}`);
    expect(answer.status).toBe(202);
    expect((await ticketOfRow(answer.body.data.id, 1)).title).toBe('After a blank line');
  });

  test('when the header names a column twice, then 422 says it appears twice', async () => {
    const answer = await upload(csvOf([[`${run}-twice`, 'emma@example.com', 'A', 'B', 'hr-payroll', 'low', '', 'C']], [...HEADER, 'title']));
    expect(answer.status).toBe(422);
    expect(answer.body.error.details).toEqual(expect.arrayContaining([{ field: 'title', message: 'appears twice in the header' }]));
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
    const deadline = Date.now() + 280_000;
    while (status !== 'completed' && status !== 'failed') {
      if (Date.now() > deadline) throw new Error(`import ${id} of 240 rows still ${status} after 280 s`);
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
    await within(`the resumed import ${id} to finish`, runner.idle(), 60_000);
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
    await waitUntil(`a first row of import ${id} to be created`, () => models.ImportRow.count({ where: { import_id: id, outcome: 'created' } }), (n) => n > 0, { timeoutMs: 30_000 });
    await within('the first runner to stop', first.stop(), 60_000);
    const paused = await models.Import.findByPk(id);
    expect(paused?.get('status')).toBe('running');
    expect(paused?.get('lease_owner')).toBeNull();
    const pending = await models.ImportRow.count({ where: { import_id: id, outcome: 'pending' } });
    expect(pending).toBeGreaterThan(0);
    expect(pending).toBeLessThan(count);

    const second = createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 2 });
    expect(await second.sweep()).toContain(id);
    await within(`the swept import ${id} to finish`, second.idle(), 60_000);
    expect((await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data).toMatchObject({ status: 'completed', totals: { created: count, pending: 0 } });
  }, 120_000);

  test('when a runner loses its lease mid-import, then it changes nothing more and the new holder finishes with every row counted once', async () => {
    const id = crypto.randomUUID();
    const lee = await h.userId('lee');
    const count = 8;
    await h.db.models.Import.create({ id, created_by: lee, filename: 'lease.csv', status: 'queued', total_rows: count, created_count: 0, existing_count: 0, failed_count: 0, created_at: new Date() });
    const cells = (n: number) => ({ external_id: `${run}-lease-${n}`, requester_email: 'emma@example.com', title: `Lease ${n}`, description: 'x', category: 'hr-payroll', priority: 'low' });
    await h.db.models.ImportRow.bulkCreate(Array.from({ length: count }, (_, i) => ({ import_id: id, row_number: i + 1, external_id: `${run}-lease-${i + 1}`, outcome: 'pending', data: cells(i + 1) })));
    const models = h.db.models;
    const organisation = createOrganisation(models);
    const service = createTicketService({ client: h.env.client, models, organisation, reads: createTicketReads(models), temporal: h.config.temporal });
    const first = createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 1 });
    const firstRun = first.start(id);
    await waitUntil(`a first row of import ${id} to be created`, () => models.ImportRow.count({ where: { import_id: id, outcome: 'created' } }), (n) => n > 0, { timeoutMs: 60_000 });
    // Another process takes the import over, as a sweep does after the lease ran out.
    await models.Import.update({ lease_owner: 'another-process', lease_until: new Date(Date.now() + 60_000) }, { where: { id } });
    const doneAtTakeover = await models.ImportRow.count({ where: { import_id: id, outcome: { [require('sequelize').Op.ne]: 'pending' } } });
    await within('the runner that lost its lease to stop', firstRun, 60_000);
    const afterLoss = await models.Import.findByPk(id);
    // At most the row in flight at the takeover finished its ticket; its outcome was not recorded.
    expect(await models.ImportRow.count({ where: { import_id: id, outcome: { [require('sequelize').Op.ne]: 'pending' } } })).toBe(doneAtTakeover);
    expect(afterLoss?.get('created_count')).toBe(doneAtTakeover);
    expect(afterLoss?.get('lease_owner')).toBe('another-process');
    expect(afterLoss?.get('status')).toBe('running');

    await models.Import.update({ lease_until: new Date(Date.now() - 1000) }, { where: { id } });
    const second = createImportRunner({ models, organisation, service, logger: pino({ level: 'silent' }), concurrency: 2 });
    expect(await second.sweep()).toContain(id);
    await within(`the taken-over import ${id} to finish`, second.idle(), 90_000);
    const report = (await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data;
    expect(report.status).toBe('completed');
    expect(report.totals.created + report.totals.existing).toBe(count);
    expect(report.totals).toMatchObject({ failed: 0, pending: 0 });
    const numbers = (await models.ImportRow.findAll({ where: { import_id: id } })).map((r) => r.get('ticket_number'));
    expect(new Set(numbers).size).toBe(count);
  }, 240_000);

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
