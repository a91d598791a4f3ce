import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../lib/config';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';

/**
 * Oversized bodies and uploads, and file names that try to climb out of the attachment
 * store or into response headers: each gets a clear 4xx or a harmless stored name, and
 * nothing lands anywhere but the store.
 */
const SECRET = 'attack-test-secret-'.padEnd(48, 'x');
const mail: Config['mail'] = {
  serverToken: 'local-sink-token',
  sinkPort: 0,
  sinkHost: '127.0.0.1',
  from: 'Service Desk <support@ticketing.local>',
  supportAddress: 'support@ticketing.local',
  inbound: { user: 'postmark', password: 'inbound-password', reopenResolved: true, categoryCode: 'it-hardware', authservIds: ['mx.postmarkapp.com'] },
};
const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');
// A sandbox two levels deep, so a name climbing "../../" lands in a place the test can watch.
const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'attacks-'));
const store = path.join(sandbox, 'a', 'store');
fs.mkdirSync(store, { recursive: true });

let h: Harness;
let ticket: number;
beforeAll(async () => {
  h = await startHarness({ config: { mail, appSecret: SECRET, attachments: { dir: store } } });
  ticket = (await create('emma', 'Attack target')).body.data.number;
}, 180_000);
afterAll(async () => {
  await h?.stop();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

async function create(as: DemoUserKey, title: string) {
  return h.request('POST', '/tickets', { as, headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: 'x', categoryId: await h.categoryId('it-hardware') } });
}

async function upload(files: Array<[string, Buffer]>) {
  const form = new FormData();
  for (const [name, bytes] of files) form.append('file', new Blob([bytes]), name);
  const response = await fetch(`${h.apiUrl}/tickets/${ticket}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${await h.token('emma')}` }, body: form });
  return { status: response.status, body: (await response.json()) as any };
}

/** Every file under the sandbox (the store and the folders an escaping name would reach). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('oversized input', () => {
  test('when a JSON body is larger than 1 MB, then 413 PAYLOAD_TOO_LARGE and no ticket', async () => {
    const count = await h.db.models.Ticket.count();
    const response = await h.request('POST', '/tickets', { as: 'emma', body: { title: 'Big', description: 'x'.repeat(1_100_000), categoryId: await h.categoryId('it-hardware') } });
    expect({ status: response.status, code: response.body.error.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(await h.db.models.Ticket.count()).toBe(count);
  });

  test('when a JSON body nests ten thousand levels deep, then 400 naming the body, not a crash', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const response = await h.request('POST', '/tickets', { as: 'emma', body: `{"title":"Deep","description":"x","categoryId":1,"customFields":{"a":${deep}}}` });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_ERROR');
  });

  test('when a file is one byte over 25 MB, then 413 names it and nothing is kept', async () => {
    const before = filesUnder(sandbox);
    const rows = await h.db.models.Attachment.count();
    const big = Buffer.concat([PDF, Buffer.alloc(25 * 1024 * 1024 + 1 - PDF.length, 0x20)]);
    const response = await upload([['huge.pdf', big]]);
    expect({ status: response.status, code: response.body.error.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(response.body.error.details).toEqual([{ field: 'file', message: 'huge.pdf is too large' }]);
    expect(await h.db.models.Attachment.count()).toBe(rows);
    expect(filesUnder(sandbox)).toEqual(before);
  }, 120_000);

  test('when more than ten files come in one request, then 4xx names the limit and nothing is kept', async () => {
    const rows = await h.db.models.Attachment.count();
    const response = await upload(Array.from({ length: 11 }, (_, i) => [`f${i}.pdf`, PDF] as [string, Buffer]));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(JSON.stringify(response.body.error)).toMatch(/10/);
    expect(await h.db.models.Attachment.count()).toBe(rows);
  });
});

describe('path traversal in attachment names', () => {
  const NAMES = [
    '../../pwned.pdf',
    '..\\..\\pwned-win.pdf',
    '/etc/cron.d/pwned.pdf',
    'a/../../../pwned-mixed.pdf',
    '....//....//pwned-dots.pdf',
    '.htaccess.pdf',
    'rtl\u202Efdp.exe.pdf',
  ];

  // A CR/LF or NUL cannot even be written into a multipart part header; an inbound email's JSON can carry one (below).
  const HEADER_SPLITTING = 'evil\r\nSet-Cookie: session=stolen.pdf';
  const NUL_BYTE = 'nul\u0000byte.pdf';

  async function expectSafeDownload(id: string) {
    const download = await fetch(`${h.apiUrl}/tickets/${ticket}/attachments/${id}/content`, { headers: { authorization: `Bearer ${await h.token('emma')}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('set-cookie')).toBeNull();
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="[^"/\\\r\n]*"; filename\*=UTF-8''[^\s/\\]*$/);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PDF);
  }

  test('when files are uploaded under names that climb out of the store, then each is kept inside it under a plain name', async () => {
    const before = new Set(filesUnder(sandbox));
    const response = await upload(NAMES.map((n) => [n, PDF] as [string, Buffer]));
    expect({ status: response.status, error: response.body.error }).toEqual({ status: 201, error: undefined });
    const stored = (response.body.data as Array<{ id: string; filename: string }>).map((a) => a.filename);
    for (const name of stored) {
      expect(name).not.toMatch(/[\\/\u0000-\u001f\u202e]/);
      expect(name).not.toMatch(/^\./);
      expect(name.endsWith('.pdf')).toBe(true);
    }
    expect(stored.slice(0, 3)).toEqual(['pwned.pdf', 'pwned-win.pdf', 'pwned.pdf']);
    const added = filesUnder(sandbox).filter((f) => !before.has(f));
    expect(added.length).toBe(NAMES.length);
    for (const file of added) expect(file.startsWith(`${store}${path.sep}`)).toBe(true);
    expect(fs.existsSync(path.join(sandbox, 'pwned.pdf'))).toBe(false);

    // The download names the file in a header that cannot be split or used to climb.
    for (const attachment of response.body.data as Array<{ id: string }>) await expectSafeDownload(attachment.id);
  });

  test('when an inbound email carries attachments named to climb out of the store, then they are kept inside it under plain names', async () => {
    const before = new Set(filesUnder(sandbox));
    const payload = {
      MessageID: crypto.randomUUID(),
      From: 'emma@example.com',
      FromFull: { Email: 'emma@example.com', Name: 'Emma Employee', MailboxHash: '' },
      To: 'support@ticketing.local',
      Subject: 'Scan attached',
      TextBody: 'see attachments',
      Headers: [{ Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com' }],
      Attachments: [...NAMES.slice(0, 4), HEADER_SPLITTING, NUL_BYTE].map((Name) => ({ Name, Content: PDF.toString('base64'), ContentType: 'application/pdf', ContentLength: PDF.length })),
    };
    const response = await fetch(`${h.apiUrl}/inbound/postmark`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`postmark:${mail.inbound.password}`).toString('base64')}` },
      body: JSON.stringify(payload),
    });
    const body = (await response.json()) as any;
    expect(response.status).toBe(200);
    const kept = body.data.attachments as Array<{ name: string; outcome: string; attachmentId: string }>;
    expect(kept.map((a) => a.outcome)).toEqual(['kept', 'kept', 'kept', 'kept', 'kept', 'kept']);
    for (const { name } of kept) expect(name).not.toMatch(/[\\/\r\n\u0000]|^\./);
    ticket = body.data.ticketNumber;
    for (const { attachmentId } of kept) await expectSafeDownload(attachmentId);
    for (const file of filesUnder(sandbox).filter((f) => !before.has(f))) expect(file.startsWith(`${store}${path.sep}`)).toBe(true);
    expect(fs.existsSync(path.join(sandbox, 'pwned.pdf'))).toBe(false);
  });
});
