import crypto from 'node:crypto';
import Papa from 'papaparse';
import { REPORTS } from '../../api/reports/queries';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';

/**
 * CSV formula injection: text a person typed (a title, a name, an external id) must reach every
 * CSV the product writes as text, never as a cell a spreadsheet evaluates.
 */
const PAYLOADS = ['=HYPERLINK("http://evil.example","x")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1:A2)', '\t=1+1', '\r=1+1'];
/** A cell a spreadsheet would evaluate: starts with = + - @ or a tab / CR before one. */
const live = (cell: string) => /^[=+\-@\t\r]/.test(cell);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  const categoryId = await h.categoryId('it-hardware');
  for (const title of PAYLOADS) {
    const created = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: 'x', categoryId } });
    expect(created.status).toBe(201);
  }
  // Names an admin typed reach the reports (team, category, agent columns).
  await h.db.models.Category.update({ name: '=1+2' }, { where: { code: 'it-hardware' } });
  await h.db.models.Team.update({ name: '@team' }, { where: {} });
  await h.db.models.User.update({ name: '-agent' }, { where: { auth_subject: 'local|alex' } });
}, 180_000);
afterAll(async () => {
  await h?.stop();
});

async function csv(path: string, as: DemoUserKey): Promise<string[][]> {
  const response = await fetch(`${h.apiUrl}${path}`, { headers: { authorization: `Bearer ${await h.token(as)}` } });
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  expect(response.headers.get('content-type')).toContain('text/csv');
  return Papa.parse<string[]>(await response.text(), { skipEmptyLines: true }).data;
}

function expectInert(rows: string[][], where: string) {
  const offending = rows.flatMap((row, r) => row.filter(live).map((cell) => `${where} row ${r}: ${JSON.stringify(cell)}`));
  expect(offending).toEqual([]);
}

describe('CSV formula injection', () => {
  test('when ticket titles hold formulas, then the ticket export writes each as text with a leading apostrophe', async () => {
    const rows = await csv('/tickets/export', 'ada');
    const titles = rows.slice(1).map((r) => r[rows[0]!.indexOf('title')]);
    // Titles are trimmed on the way in, so a leading tab or CR is gone and the formula behind it must still be caught.
    for (const payload of PAYLOADS) expect(titles).toContain(`'${payload.trim()}`);
    expectInert(rows, 'tickets.csv');
  });

  test.each(REPORTS.map((r) => [r]))('when names in the %s report hold formulas, then its CSV holds none live', async (name) => {
    const rows = await csv(`/reports/${name}?format=csv`, 'ada');
    expectInert(rows, `${name}.csv`);
  });

  test('when the names do reach a report, then they arrive as text (the reports above were not empty by accident)', async () => {
    const volume = await csv('/reports/volume?format=csv', 'ada');
    expect(volume.flat()).toContain("'=1+2");
  });

  test('when an import row carries formulas, then the import errors CSV writes them as text', async () => {
    const body = Papa.unparse([['external_id', 'requester_email', 'title', 'description', 'category', 'priority'], ['=cmd|\' /C calc\'!A0', 'emma@example.com', '@SUM(1+1)', 'x', 'no-such-category', 'low']], { newline: '\r\n' });
    const started = await fetch(`${h.apiUrl}/imports?filename=t.csv`, { method: 'POST', headers: { authorization: `Bearer ${await h.token('lee')}`, 'content-type': 'text/csv' }, body });
    expect(started.status).toBe(202);
    const id = ((await started.json()) as any).data.id as string;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = (await h.request('GET', `/imports/${id}`, { as: 'lee' })).body.data.status;
      if (['completed', 'failed'].includes(status)) break;
      if (Date.now() > deadline) throw new Error(`import ${id} still ${status} after 90 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const rows = await csv(`/imports/${id}/errors?format=csv`, 'lee');
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.flat()).toContain("'=cmd|' /C calc'!A0");
    expectInert(rows, 'import errors');
  });
});
