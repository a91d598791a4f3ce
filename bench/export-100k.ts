/**
 * Benchmark: stream a 100,000-ticket CSV export through the real API and watch memory.
 * Rows go straight into the read table (the export reads only that), the API runs
 * in-process against a real local issuer's tokens, and the response is consumed as a
 * stream. Bounded: at most ROWS rows and a 10-minute deadline; it stops by itself.
 *
 *   npx tsx bench/export-100k.ts            (ROWS=100000 by default)
 *
 * Prints the figures and writes them to bench/results/export-<rows>-<date>.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { demoSubject } from '../lib/db/demo-org';
import { createTestDatabase } from '../test/support/test-database';
import { startInProcessApi, type InProcessApi } from './in-process-api';
import { exitAtDeadline } from './lib';

const ROWS = Math.min(Number(process.env.ROWS ?? 100_000), 1_000_000);
const DEADLINE = Date.now() + 10 * 60_000;
const HOSTILE = ['=HYPERLINK("http://evil.example","x")', '+cmd|calc', '-2+3', '@SUM(A1:A9)', 'plain title'];

async function main() {
  exitAtDeadline(DEADLINE);

  const db = await createTestDatabase();
  let api: InProcessApi | undefined;
  try {
    const seedStarted = performance.now();
    const [category] = await db.models.Category.findAll({ limit: 1 });
    const requester = await db.models.User.findOne({ where: { auth_subject: demoSubject('emma') } });
    const base = {
      status: 'open',
      priority: 'medium',
      channel: 'import',
      category_id: category!.get('id'),
      department_id: category!.get('department_id'),
      team_id: null,
      assignee_id: null,
      requester_id: requester!.get('id'),
      custom_fields: {},
      sla_breached: false,
      seq: 1,
    };
    for (let start = 1; start <= ROWS; start += 2000) {
      const rows = [];
      for (let n = start; n < Math.min(start + 2000, ROWS + 1); n++) {
        const at = new Date(Date.UTC(2026, 0, 1) + n * 60_000);
        rows.push({ ...base, number: n, workflow_id: `ticket-${n}`, title: `${HOSTILE[n % HOSTILE.length]} #${n}`, description: 'bench', created_at: at, updated_at: at });
      }
      await db.models.Ticket.bulkCreate(rows);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // The export reads the read table only: the API runs in this process, Temporal is never dialled.
    api = await startInProcessApi(db);
    const { apiUrl } = api;
    const accessToken = await api.token('ada');

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    let rssPeak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      heapPeak = Math.max(heapPeak, m.heapUsed);
      rssPeak = Math.max(rssPeak, m.rss);
    }, 50);

    const started = performance.now();
    const response = await fetch(`${apiUrl}/tickets/export`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (!response.ok || !response.body) throw new Error(`export answered ${response.status}`);
    let firstByteMs: number | null = null;
    let bytes = 0;
    let rows = 0;
    let unsafeCells = 0;
    let header: string[] | undefined;
    let carry = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      firstByteMs ??= performance.now() - started;
      bytes += chunk.byteLength;
      const text = carry + decoder.decode(chunk, { stream: true });
      const lastBreak = text.lastIndexOf('\n');
      carry = text.slice(lastBreak + 1);
      if (lastBreak < 0) continue;
      // Cut on whole CRLF records, so a record is never split between two parses.
      const parsed = Papa.parse<string[]>(text.slice(0, lastBreak).replace(/\r$/, ''), { skipEmptyLines: true });
      for (const record of parsed.data) {
        if (!header) {
          header = record;
          continue;
        }
        rows += 1;
        if (record.some((cell) => /^[=+\-@\t\r]/.test(cell))) {
          unsafeCells += 1;
          if (unsafeCells < 4) console.error('unsafe record', JSON.stringify(record));
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);

    const result = {
      benchmark: 'export',
      at: new Date().toISOString(),
      database: db.database.dialect,
      rowsSeeded: ROWS,
      rowsExported: rows,
      rowsWithUnneutralisedFormula: unsafeCells,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      exportSeconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(rows / seconds),
      firstByteMs: Math.round(firstByteMs ?? 0),
      megabytes: Number((bytes / 1e6).toFixed(1)),
      heapGrowthMb: Number(((heapPeak - heapBefore) / 1e6).toFixed(1)),
      rssPeakMb: Number((rssPeak / 1e6).toFixed(1)),
      node: process.version,
    };
    console.log(JSON.stringify(result, null, 2));
    const out = path.join(__dirname, 'results', `export-${ROWS}-${result.at.slice(0, 10)}-${result.database}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    if (rows !== ROWS || unsafeCells > 0) {
      console.error(`expected ${ROWS} safe rows, got ${rows} with ${unsafeCells} unsafe`);
      process.exitCode = 1;
    }
  } finally {
    await api?.stop();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
