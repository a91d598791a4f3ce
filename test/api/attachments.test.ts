import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DemoUserKey } from '../support/demo-accounts';
import { EICAR, startClamdStandIn, type ClamdStandIn } from '../support/clamd-standin';
import { startHarness, type Harness } from '../support/harness';
import { freePort } from '../support/ports';
import { docx } from '../support/zip';

let h: Harness;
let clamd: ClamdStandIn;
let clamdPort: number;
let storageDir: string;
let laptop: number;

const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);

beforeAll(async () => {
  clamdPort = await freePort();
  clamd = await startClamdStandIn({ port: clamdPort });
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attachments-api-'));
  h = await startHarness({ config: { attachments: { dir: storageDir, clamd: { host: '127.0.0.1', port: clamdPort } } } });
  laptop = await h.categoryId('it-laptop');
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await clamd?.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

async function ticket(title = 'Broken screen') {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title, description: 'See attached', categoryId: laptop },
  });
  return response.body.data as { number: number; assigneeId: number | null };
}

async function upload(as: DemoUserKey, number: number, files: Array<[string, Buffer]>, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, bytes] of files) form.append('file', new Blob([bytes]), name);
  const response = await fetch(`${h.apiUrl}/tickets/${number}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${await h.token(as)}` }, body: form });
  return { status: response.status, body: (await response.json()) as any };
}

async function download(as: DemoUserKey, number: number, id: string) {
  const response = await fetch(`${h.apiUrl}/tickets/${number}/attachments/${id}/content`, { headers: { authorization: `Bearer ${await h.token(as)}` } });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, json: () => JSON.parse(bytes.toString()) };
}

/** Everything an upload could have left behind: rows, stored objects, spooled temporaries. */
async function footprint() {
  const files = (dir: string): string[] =>
    fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)])) : [];
  return { rows: await h.db.models.Attachment.count(), files: files(storageDir).length };
}

describe('upload and download', () => {
  test('when the requester uploads a PDF, then it is scanned clean, listed, and downloads with safe headers and a logged download', async () => {
    const t = await ticket();
    const uploaded = await upload('emma', t.number, [['Rechnung März <final>.pdf', PDF]]);
    expect(uploaded.status).toBe(201);
    const [file] = uploaded.body.data;
    expect(file).toMatchObject({ filename: 'Rechnung März _final_.pdf', contentType: 'application/pdf', size: PDF.length, status: 'clean', visibility: 'public', source: 'portal' });
    expect(file.sha256).toBe(crypto.createHash('sha256').update(PDF).digest('hex'));

    const list = await h.request('GET', `/tickets/${t.number}/attachments`, { as: 'lee' });
    expect(list.body.data.map((a: { id: string }) => a.id)).toEqual([file.id]);
    expect(list.body.pagination).toMatchObject({ page: 1, total: 1 });

    const got = await download('lee', t.number, file.id);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(PDF)).toBe(true);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="Rechnung M_rz _final_.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz%20_final_.pdf`);

    const log = await h.request('GET', `/tickets/${t.number}/attachments/${file.id}/downloads`, { as: 'lee' });
    expect(log.status).toBe(200);
    expect(log.body.data).toEqual([{ userId: await h.userId('lee'), userName: 'Lee Lead', at: expect.any(String), ip: expect.any(String) }]);
    expect((await h.request('GET', `/tickets/${t.number}/attachments/${file.id}/downloads`, { as: 'emma' })).status).toBe(403);
  });

  test('when staff add an internal file, then requesters neither list nor download it', async () => {
    const t = await ticket();
    const internal = await upload('lee', t.number, [['notes.txt', Buffer.from('vip, handle gently')]], { visibility: 'internal' });
    expect(internal.status).toBe(201);
    const id = internal.body.data[0].id;
    expect((await h.request('GET', `/tickets/${t.number}/attachments`, { as: 'emma' })).body.data).toEqual([]);
    expect((await download('emma', t.number, id)).status).toBe(404);
    expect((await download('lee', t.number, id)).status).toBe(200);
    const requesterInternal = await upload('emma', t.number, [['x.txt', Buffer.from('x')]], { visibility: 'internal' });
    expect(requesterInternal.status).toBe(403);
    expect(requesterInternal.body.error.details[0].field).toBe('visibility');
  });

  test('when several files are sent at once, then each is stored under its sniffed type', async () => {
    const t = await ticket();
    const uploaded = await upload('emma', t.number, [['screen.png', PNG], ['letter.docx', docx()]]);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.data.map((a: { contentType: string }) => a.contentType)).toEqual([
      'image/png',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ]);
  });
});

describe('refusals write nothing', () => {
  test('when an executable is named report.pdf, then 415 names the file and nothing is stored (not even the good file beside it)', async () => {
    const t = await ticket();
    const before = await footprint();
    const refused = await upload('emma', t.number, [['fine.pdf', PDF], ['report.pdf', EXE]]);
    expect(refused.status).toBe(415);
    expect(refused.body.error.message).toContain('report.pdf');
    expect(refused.body.error.message).toContain('Windows executable');
    expect(await footprint()).toEqual(before);
  });

  test('when a file is over 25 MB, then 413 and the partial data is gone', async () => {
    const t = await ticket();
    const before = await footprint();
    const refused = await upload('emma', t.number, [['huge.txt', Buffer.alloc(25 * 1024 * 1024 + 1, 0x61)]]);
    expect(refused.status).toBe(413);
    expect(refused.body.error.message).toContain('huge.txt');
    expect(await footprint()).toEqual(before);
  });

  test('when the body has no file, is not multipart, or has unknown fields, then 400 names the field', async () => {
    const t = await ticket();
    const before = await footprint();
    const empty = await upload('emma', t.number, [], { visibility: 'public' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].field).toBe('file');
    const json = await h.request('POST', `/tickets/${t.number}/attachments`, { as: 'emma', body: { file: 'x' } });
    expect(json.status).toBe(400);
    expect(json.body.error.details[0].field).toBe('Content-Type');
    const stray = await upload('emma', t.number, [['a.pdf', PDF]], { colour: 'red' });
    expect(stray.status).toBe(400);
    expect(stray.body.error.details[0].field).toBe('colour');
    const badVisibility = await upload('emma', t.number, [['a.pdf', PDF]], { visibility: 'secret' });
    expect(badVisibility.status).toBe(400);
    expect(badVisibility.body.error.details[0].field).toBe('visibility');
    const truncated = await fetch(`${h.apiUrl}/tickets/${t.number}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await h.token('emma')}`, 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7 cut off',
    });
    expect(truncated.status).toBe(400);
    expect(await footprint()).toEqual(before);
  });

  test('when someone unrelated uploads, then 404; when a read-only share uploads, then 403', async () => {
    const t = await ticket();
    expect((await upload('priya', t.number, [['a.pdf', PDF]])).status).toBe(404);
    const facilities = (await h.request('GET', '/teams', { as: 'lee' })).body.data.find((x: { code: string }) => x.code === 'facilities-ops');
    await h.request('POST', `/tickets/${t.number}/actions/share`, { as: 'lee', body: { teamId: facilities.id, access: 'read' } });
    const readOnly = await upload('frank', t.number, [['a.pdf', PDF]]);
    expect(readOnly.status).toBe(403);
    // Reading is still allowed for the sharing team.
    expect((await h.request('GET', `/tickets/${t.number}/attachments`, { as: 'frank' })).status).toBe(200);
  });
});

describe('malware scanning', () => {
  test('when a file carries the EICAR test signature, then it is recorded infected and never downloadable', async () => {
    const t = await ticket();
    const uploaded = await upload('emma', t.number, [['eicar.txt', Buffer.from(EICAR)]]);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.data[0]).toMatchObject({ status: 'infected', scanDetail: 'Eicar-Test-Signature' });
    const got = await download('lee', t.number, uploaded.body.data[0].id);
    expect(got.status).toBe(409);
    expect(got.json().error).toMatchObject({ code: 'ATTACHMENT_INFECTED', message: expect.stringContaining('Eicar-Test-Signature') });
    expect(await h.db.models.AttachmentDownload.count({ where: { attachment_id: uploaded.body.data[0].id } })).toBe(0);
  });

  test('when clamd is down, then the file stays blocked as scan_failed, and a later download rescans it once clamd is back', async () => {
    const t = await ticket();
    await clamd.close();
    let restarted = false;
    try {
      const uploaded = await upload('emma', t.number, [['log.txt', Buffer.from('all quiet')]]);
      expect(uploaded.status).toBe(201);
      expect(uploaded.body.data[0]).toMatchObject({ status: 'scan_failed', scanDetail: expect.stringContaining('unreachable') });
      const blocked = await download('emma', t.number, uploaded.body.data[0].id);
      expect(blocked.status).toBe(409);
      expect(blocked.json().error.code).toBe('ATTACHMENT_SCAN_FAILED');
      expect((await h.request('POST', `/tickets/${t.number}/attachments/${uploaded.body.data[0].id}/scan`, { as: 'emma' })).status).toBe(403);
      clamd = await startClamdStandIn({ port: clamdPort });
      restarted = true;
      // Downloads retry a failed scan at most once a minute, so a crowd of viewers cannot hammer clamd.
      const id = uploaded.body.data[0].id as string;
      expect((await download('emma', t.number, id)).status).toBe(409);
      expect((await h.db.models.Attachment.findByPk(id))!.get('status')).toBe('scan_failed');
      // A minute later (the last attempt moved back rather than waiting it out), the download itself rescans and serves the file.
      await h.db.models.Attachment.update({ scanned_at: new Date(Date.now() - 61_000) }, { where: { id } });
      const served = await download('emma', t.number, id);
      expect(served.status).toBe(200);
      expect(served.bytes.toString()).toBe('all quiet');
      expect((await h.db.models.Attachment.findByPk(id))!.get('status')).toBe('clean');
    } finally {
      if (!restarted) clamd = await startClamdStandIn({ port: clamdPort });
    }
  });

  test('when a file waits in quarantine (its scan never ran), then downloading scans it first', async () => {
    const t = await ticket();
    const uploaded = await upload('emma', t.number, [['a.pdf', PDF]]);
    const id = uploaded.body.data[0].id;
    await h.db.models.Attachment.update({ status: 'quarantined', scanned_at: null }, { where: { id } });
    const got = await download('emma', t.number, id);
    expect(got.status).toBe(200);
    expect((await h.db.models.Attachment.findByPk(id))!.get('status')).toBe('clean');
  });
});
