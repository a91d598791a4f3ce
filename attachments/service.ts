import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { Model } from 'sequelize';
import type { Models } from '../lib/db/models';
import type { Scanner } from './scanner';
import { sanitiseFilename, Sniffer, type SniffVerdict } from './sniff';
import { newKey, type Storage } from './storage';
import type { AttachmentView } from '../api/contract/types';

export const MAX_FILE_BYTES = 25 * 1024 * 1024;
export const MAX_FILES_PER_REQUEST = 10;

/** `purged`: the retention policy removed the bytes; the row stays for the audit. */
export type AttachmentStatus = 'quarantined' | 'clean' | 'infected' | 'scan_failed' | 'purged';
export type AttachmentVisibility = 'public' | 'internal';

export interface AttachmentsDeps {
  models: Models;
  storage: Storage;
  /** Without a scanner files are clean on arrival; with one they wait in quarantine until it says so. */
  scanner?: Scanner;
  /** Where uploads are spooled while they are checked, before anything reaches storage or the database. */
  spoolDir: string;
  logger: Logger;
}

/** An upload received into a temporary file: hashed, measured and sniffed on the way in. */
/** How soon a file whose scan failed (clamd unreachable) may be tried again on a download. */
const RESCAN_AFTER_MS = 60_000;

export interface Spooled {
  filename: string;
  tempPath: string;
  size: number;
  sha256: string;
  tooLarge: boolean;
  verdict: SniffVerdict;
}

// The shape the API answers with is the shared contract's, so the portal reads exactly this.
export type { AttachmentView };

const iso = (value: unknown) => (value ? new Date(value as string).toISOString() : null);

export function viewOf(row: Model): AttachmentView {
  const get = <T>(key: string) => row.get(key) as T;
  return {
    id: get('id'),
    ticketNumber: get('ticket_number'),
    filename: get('filename'),
    contentType: get('content_type'),
    size: get('size'),
    sha256: get('sha256'),
    status: get('status'),
    scanDetail: get<string | null>('scan_detail') ?? null,
    scannedAt: iso(get('scanned_at')),
    visibility: get('visibility'),
    uploadedBy: get('uploaded_by'),
    source: get('source'),
    createdAt: iso(get('created_at'))!,
  };
}

export function createAttachmentService({ models, storage, scanner, spoolDir, logger }: AttachmentsDeps) {
  const scansInFlight = new Map<string, Promise<Model>>();
  /** Runs the scanner over the stored bytes and records its verdict; an unreachable scanner leaves the file blocked. */
  async function scan(row: Model): Promise<Model> {
    if (!scanner) return row;
    let update: { status: AttachmentStatus; scan_detail: string | null };
    try {
      const verdict = await scanner.scan(await storage.get(row.get('storage_key') as string));
      update = verdict.clean ? { status: 'clean', scan_detail: null } : { status: 'infected', scan_detail: verdict.signature.slice(0, 255) };
    } catch (err) {
      logger.warn({ err, attachmentId: row.get('id') }, 'attachment scan failed; the file stays blocked until a rescan succeeds');
      update = { status: 'scan_failed', scan_detail: (err as Error).message.slice(0, 255) };
    }
    if (update.status === 'infected') logger.warn({ attachmentId: row.get('id'), signature: update.scan_detail }, 'infected attachment blocked');
    return row.update({ ...update, scanned_at: new Date() });
  }

  return {
    scannerConfigured: Boolean(scanner),

    /** Receives bytes into a temporary file, never more than `limit` of them, learning size, hash and type on the way. */
    async spool(source: Readable, rawName: string, limit = MAX_FILE_BYTES): Promise<Spooled> {
      const filename = sanitiseFilename(rawName);
      await fs.promises.mkdir(spoolDir, { recursive: true });
      const tempPath = path.join(spoolDir, `${crypto.randomUUID()}.part`);
      const hash = crypto.createHash('sha256');
      const sniffer = new Sniffer();
      let size = 0;
      let tooLarge = false;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > limit) tooLarge = true;
          // Past the limit the rest is drained, not written: a refused upload costs no disk.
          if (tooLarge) return done();
          hash.update(chunk);
          sniffer.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(source, meter, fs.createWriteStream(tempPath, { mode: 0o600 }));
      } catch (err) {
        await fs.promises.rm(tempPath, { force: true });
        throw err;
      }
      if (tooLarge) await fs.promises.rm(tempPath, { force: true });
      return { filename, tempPath, size, sha256: hash.digest('hex'), tooLarge, verdict: sniffer.finish(filename) };
    },

    async discard(spooled: Spooled[]): Promise<void> {
      await Promise.all(spooled.map((s) => fs.promises.rm(s.tempPath, { force: true })));
    },

    /** Moves an accepted upload into storage, records it, and scans it when a scanner is configured. */
    async commit(
      ticketNumber: number,
      spooled: Spooled,
      meta: { visibility: AttachmentVisibility; uploadedBy: number; source: 'portal' | 'email' },
    ): Promise<AttachmentView> {
      if (!spooled.verdict.ok || spooled.tooLarge) throw new Error('Only accepted uploads may be committed');
      const key = newKey();
      await storage.put(key, fs.createReadStream(spooled.tempPath), spooled.size);
      let row: Model;
      try {
        row = await models.Attachment.create({
          id: crypto.randomUUID(),
          ticket_number: ticketNumber,
          filename: spooled.filename,
          content_type: spooled.verdict.contentType,
          size: spooled.size,
          sha256: spooled.sha256,
          storage_key: key,
          status: scanner ? 'quarantined' : 'clean',
          scan_detail: null,
          scanned_at: null,
          visibility: meta.visibility,
          uploaded_by: meta.uploadedBy,
          source: meta.source,
          created_at: new Date(),
        });
      } catch (err) {
        await storage.delete(key).catch(() => undefined);
        throw err;
      }
      await fs.promises.rm(spooled.tempPath, { force: true });
      return viewOf(await scan(row));
    },

    async list(ticketNumber: number, includeInternal: boolean, page: number, limit: number) {
      const { rows, count } = await models.Attachment.findAndCountAll({
        where: { ticket_number: ticketNumber, ...(includeInternal ? {} : { visibility: 'public' }) },
        order: [['created_at', 'ASC'], ['id', 'ASC']],
        limit,
        offset: (page - 1) * limit,
      });
      return { items: rows.map(viewOf), total: count };
    },

    async find(ticketNumber: number, id: string, includeInternal: boolean): Promise<Model | undefined> {
      const row = await models.Attachment.findOne({ where: { id, ticket_number: ticketNumber } });
      if (!row || (!includeInternal && row.get('visibility') !== 'public')) return undefined;
      return row;
    },

    /** Scans again a file that is still waiting or whose scan failed; clean and infected verdicts are final. */
    /** `force`: staff asked for it (the once-a-minute pacing of download-triggered retries does not apply). */
    async rescan(row: Model, { force = false }: { force?: boolean } = {}): Promise<Model> {
      const status = row.get('status') as AttachmentStatus;
      if (!scanner || (status !== 'quarantined' && status !== 'scan_failed')) return row;
      // Many viewers of one held file share one scan, and a failed scan is retried at most once a minute.
      const id = row.get('id') as string;
      const inFlight = scansInFlight.get(id);
      if (inFlight) return inFlight;
      const lastTried = row.get('scanned_at') ? new Date(row.get('scanned_at') as string).getTime() : 0;
      if (!force && status === 'scan_failed' && Date.now() - lastTried < RESCAN_AFTER_MS) return row;
      const job = scan(row).finally(() => scansInFlight.delete(id));
      scansInFlight.set(id, job);
      return job;
    },

    /** The bytes of a clean file, with the download recorded (who, when, from where) before the first byte leaves. */
    async open(row: Model, userId: number, ip: string | undefined): Promise<Readable> {
      const stream = await storage.get(row.get('storage_key') as string);
      await models.AttachmentDownload.create({ attachment_id: row.get('id'), user_id: userId, at: new Date(), ip: ip?.slice(0, 64) ?? null });
      return stream;
    },

    async downloads(attachmentId: string, page: number, limit: number) {
      const { rows, count } = await models.AttachmentDownload.findAndCountAll({
        where: { attachment_id: attachmentId },
        order: [['at', 'DESC'], ['id', 'DESC']],
        limit,
        offset: (page - 1) * limit,
      });
      const users = await models.User.findAll({ where: { id: [...new Set(rows.map((r) => r.get('user_id') as number))] }, attributes: ['id', 'name'] });
      const names = new Map(users.map((u) => [u.get('id') as number, u.get('name') as string]));
      const items = rows.map((r) => ({
        userId: r.get('user_id') as number,
        userName: names.get(r.get('user_id') as number) ?? null,
        at: iso(r.get('at'))!,
        ip: (r.get('ip') as string | null) ?? null,
      }));
      return { items, total: count };
    },
  };
}

export type AttachmentService = ReturnType<typeof createAttachmentService>;

/** An RFC 6266 / 5987 Content-Disposition: an ASCII fallback name plus the exact UTF-8 name, both safely quoted. */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
