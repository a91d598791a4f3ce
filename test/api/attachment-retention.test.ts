import { ScheduleNotFoundError } from '@temporalio/client';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalDiskStorage } from '../../attachments/storage';
import { ATTACHMENT_RETENTION_SCHEDULE, ensureAttachmentRetention } from '../../temporal/schedules';
import type { attachmentRetentionWorkflow } from '../../workflows/attachment-retention';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil, within } from '../support/wait';

let h: Harness;
let storageDir: string;
let laptop: number;

const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const DAY = 86_400_000;

beforeAll(async () => {
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attachments-retention-'));
  // The API stores into the folder and the worker's retention activity deletes from the same one, as in a deployment.
  h = await startHarness({ config: { attachments: { dir: storageDir } }, activityDeps: { attachmentStorage: new LocalDiskStorage(storageDir) } });
  laptop = await h.categoryId('it-laptop');
}, 120_000);

afterAll(async () => {
  await h?.stop();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

async function ticketWithAttachment(title: string) {
  const created = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: 'See attached', categoryId: laptop } });
  expect(created.status).toBe(201);
  const number = created.body.data.number as number;
  const form = new FormData();
  form.append('file', new Blob([PDF]), `${title}.pdf`);
  const uploaded = await fetch(`${h.apiUrl}/tickets/${number}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${await h.token('emma')}` }, body: form });
  expect(uploaded.status).toBe(201);
  const body = (await uploaded.json()) as any;
  const id = (body.data[0] ?? body.data).id as string;
  return { number, id };
}

async function download(number: number, id: string) {
  const response = await fetch(`${h.apiUrl}/tickets/${number}/attachments/${id}/content`, { headers: { authorization: `Bearer ${await h.token('emma')}` } });
  return { status: response.status, text: await response.text() };
}

function runPass(now: Date, olderThanDays = 30) {
  return within(
    'the retention workflow to finish',
    h.env.client.workflow.execute<typeof attachmentRetentionWorkflow>('attachmentRetentionWorkflow', {
      workflowId: `retention-test-${crypto.randomUUID()}`,
      taskQueue: h.taskQueue,
      args: [{ olderThanDays, now: now.toISOString(), batchSize: 1 }],
    }),
    60_000,
  );
}

const storedFiles = () => (fs.readdirSync(storageDir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(storageDir, f)).isFile() && !f.startsWith('.tmp'));

describe('attachment retention', () => {
  test('when a cancelled ticket is past the retention period, then its attachments are purged (bytes gone, row and audit kept, download 410) and an open ticket keeps its own', async () => {
    const finished = await ticketWithAttachment('old-finished');
    const finished2 = await ticketWithAttachment('old-finished-2');
    const open = await ticketWithAttachment('still-open');
    for (const t of [finished, finished2]) {
      const cancelled = await h.request('POST', `/tickets/${t.number}/actions/cancel`, { as: 'emma', body: { reason: 'Fixed it myself' } });
      expect(cancelled.status).toBeLessThan(300);
      await waitUntil(`ticket #${t.number} projected as cancelled`, async () => (await h.db.models.Ticket.findByPk(t.number))?.get('closed_at'));
    }
    const keyOf = async (id: string) => (await h.db.models.Attachment.findByPk(id))!.get('storage_key') as string;
    const finishedKey = await keyOf(finished.id);
    expect(storedFiles()).toEqual(expect.arrayContaining([finishedKey, await keyOf(finished2.id), await keyOf(open.id)]));

    // Not yet past the period: nothing happens.
    expect(await runPass(new Date(Date.now() + 29 * DAY))).toMatchObject({ purged: 0 });
    expect((await download(finished.number, finished.id)).status).toBe(200);

    // Past it: both cancelled tickets' files go, in batches of one.
    const pass = await runPass(new Date(Date.now() + 31 * DAY));
    expect(pass.purged).toBe(2);
    expect(pass.batches).toBeGreaterThanOrEqual(2);
    const row = (await h.db.models.Attachment.findByPk(finished.id))!;
    expect(row.get('status')).toBe('purged');
    expect(row.get('purged_at')).toBeTruthy();
    expect(row.get('filename')).toBe('old-finished.pdf');
    expect(storedFiles()).not.toContain(finishedKey);
    expect(storedFiles()).toContain(await keyOf(open.id));

    const audit = await h.db.models.AuditLog.findAll({ where: { entity: 'attachment', entity_id: finished.id, action: 'purged' } });
    expect(audit).toHaveLength(1);
    const entry = audit[0]!;
    expect(entry.get('actor_id')).toBe(0);
    expect(entry.get('actor_label')).toBe('retention policy');
    expect(entry.get('before')).toMatchObject({ ticketNumber: finished.number, filename: 'old-finished.pdf', size: PDF.length, sha256: crypto.createHash('sha256').update(PDF).digest('hex'), status: 'clean' });
    expect(entry.get('after')).toMatchObject({ status: 'purged', olderThanDays: 30 });

    const gone = await download(finished.number, finished.id);
    expect(gone.status).toBe(410);
    expect(JSON.parse(gone.text).error).toMatchObject({ code: 'ATTACHMENT_PURGED' });
    expect(gone.text).toContain('retention policy');
    expect((await download(open.number, open.id)).status).toBe(200);

    // Idempotent: a second pass purges nothing and audits nothing more.
    expect(await runPass(new Date(Date.now() + 40 * DAY))).toMatchObject({ purged: 0 });
    expect(await h.db.models.AuditLog.count({ where: { entity: 'attachment', action: 'purged' } })).toBe(2);
  });

  test('when the schedule is ensured, then it follows the configuration: created, updated with new days and cron, deleted when retention is off', async () => {
    expect(await ensureAttachmentRetention(h.env.client, h.taskQueue, { cron: '30 3 * * *' })).toBe('off');
    expect(await ensureAttachmentRetention(h.env.client, h.taskQueue, { attachmentDays: 90, cron: '30 3 * * *' })).toBe('created');
    const handle = h.env.client.schedule.getHandle(ATTACHMENT_RETENTION_SCHEDULE);
    await handle.pause('the test looks at it, it does not run it');
    let description = await handle.describe();
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'attachmentRetentionWorkflow', taskQueue: h.taskQueue, args: [{ olderThanDays: 90 }] });
    expect(await ensureAttachmentRetention(h.env.client, h.taskQueue, { attachmentDays: 365, cron: '0 4 * * 0' })).toBe('updated');
    description = await handle.describe();
    expect(description.action).toMatchObject({ args: [{ olderThanDays: 365 }] });
    expect(JSON.stringify(description.spec)).toContain('4');
    expect(await ensureAttachmentRetention(h.env.client, h.taskQueue, { cron: '0 4 * * 0' })).toBe('deleted');
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});
