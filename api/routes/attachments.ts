import busboy from 'busboy';
import { Router, type Request } from 'express';
import type { Model } from 'sequelize';
import { z } from 'zod';
import { contentDisposition, MAX_FILE_BYTES, MAX_FILES_PER_REQUEST, viewOf, type AttachmentService, type Spooled } from '../../attachments/service';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { TERMINAL_STATUSES, type TicketStatus } from '../../workflows/domain/types';
import { seesInternal, teamIdsOf } from '../access';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { ApiError, forbidden, notFound, parse, validationError } from '../errors';
import { PageQuery, TicketNumberParam } from '../schemas';
import type { TicketReads } from '../ticket-reads';

export const AttachmentIdParam = z.uuid();
export const UploadFields = z.strictObject({ visibility: z.enum(['public', 'internal']).default('public') });

/** What a person may do with a ticket's files: the same rules as its conversation. */
export interface TicketFileAccess {
  number: number;
  status: TicketStatus;
  requester: boolean;
  /** May read internal notes and internal files. */
  staffRead: boolean;
  /** May write on the ticket as staff (owning team, a write share, or admin). */
  staffWrite: boolean;
}

export function createFileAccess(reads: TicketReads, models: Models) {
  return async function access(user: UserProfile, number: number): Promise<TicketFileAccess> {
    const row = await reads.visibleRow(number, user);
    if (!row) throw notFound('Ticket');
    const teamId = (row.get('team_id') as number | null) ?? null;
    const shares = await models.TicketShare.findAll({ where: { ticket_number: number } });
    const teams = teamIdsOf(user);
    const staffWrite =
      user.roles.includes('admin') ||
      (teamId !== null && teams.includes(teamId)) ||
      shares.some((s) => s.get('access') === 'write' && teams.includes(s.get('team_id') as number));
    return {
      number,
      status: row.get('status') as TicketStatus,
      requester: row.get('requester_id') === user.id,
      staffRead: seesInternal(user, { teamId, sharedTeamIds: shares.map((s) => s.get('team_id') as number) }),
      staffWrite,
    };
  };
}

/** Who may add files: whoever may reply (the requester, or staff with write access) on a ticket still open. */
export function assertMayUpload(access: TicketFileAccess, visibility: 'public' | 'internal'): void {
  if (!access.requester && !access.staffWrite) throw forbidden('You may read this ticket but not add files to it');
  if (TERMINAL_STATUSES.includes(access.status)) {
    throw new ApiError(409, 'ILLEGAL_TRANSITION', `The ticket is ${access.status}; it takes no more files`);
  }
  if (visibility === 'internal' && !access.staffWrite) {
    throw new ApiError(403, 'FORBIDDEN', 'Only agents may add internal files', [{ field: 'visibility', message: 'internal is for staff only' }]);
  }
}

/** Turns refused uploads into the answer that names the file and the reason. */
export function refusalOf(spooled: Spooled[]): ApiError | undefined {
  const large = spooled.find((s) => s.tooLarge);
  if (large) {
    return new ApiError(413, 'PAYLOAD_TOO_LARGE', `${large.filename} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`, [
      { field: 'file', message: `${large.filename} is too large` },
    ]);
  }
  const refused = spooled.filter((s) => !s.verdict.ok);
  if (refused.length > 0) {
    const details = refused.map((s) => ({ field: 'file', message: `${s.filename}: ${s.verdict.ok ? '' : s.verdict.reason}` }));
    return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Not accepted: ${details.map((d) => d.message).join('; ')}`, details);
  }
  return undefined;
}

/**
 * Streams a multipart body: files under `file` are spooled one after another (never
 * held in memory), text fields collected. Anything unexpected is a 400 naming the part.
 */
function receive(req: Request, files: AttachmentService): Promise<{ spooled: Spooled[]; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    // Indexed by the file's place in the body: spools finish in any order, answers keep the sender's.
    const slots: Array<Spooled | undefined> = [];
    const fields: Record<string, string> = {};
    let failure: ApiError | undefined;
    const pending: Array<Promise<void>> = [];
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // One byte over the limit tells "exactly 25 MB" from "more than 25 MB".
        limits: { fileSize: MAX_FILE_BYTES + 1, files: MAX_FILES_PER_REQUEST, fields: 5, fieldSize: 1024, parts: MAX_FILES_PER_REQUEST + 5 },
      });
    } catch {
      reject(validationError([{ field: 'Content-Type', message: 'must be multipart/form-data with a boundary' }]));
      return;
    }
    const fail = (error: ApiError) => {
      failure ??= error;
    };
    parser.on('file', (name, stream, info) => {
      // A broken body errors the file stream at once, possibly before the spool has attached to it.
      stream.on('error', () => undefined);
      if (name !== 'file') {
        fail(validationError([{ field: name, message: 'is not a recognised field; send files as "file"' }]));
        stream.resume();
        return;
      }
      const slot = slots.length;
      slots.push(undefined);
      pending.push(
        files.spool(stream, info.filename ?? '').then(
          (s) => {
            slots[slot] = s;
          },
          (err: unknown) => fail(new ApiError(400, 'MALFORMED_MULTIPART', `The upload of ${info.filename} broke off: ${(err as Error).message}`)),
        ),
      );
    });
    parser.on('field', (name, value, info) => {
      if (name !== 'visibility') fail(validationError([{ field: name, message: 'is not a recognised field' }]));
      else if (info.valueTruncated) fail(validationError([{ field: name, message: 'is too long' }]));
      else fields[name] = value;
    });
    parser.on('filesLimit', () => fail(validationError([{ field: 'file', message: `at most ${MAX_FILES_PER_REQUEST} files per request` }])));
    parser.on('fieldsLimit', () => fail(validationError([{ field: '(body)', message: 'too many fields' }])));
    parser.on('partsLimit', () => fail(validationError([{ field: '(body)', message: 'too many parts' }])));
    const settle = async (error?: ApiError) => {
      await Promise.allSettled(pending);
      const spooled = slots.filter((s): s is Spooled => s !== undefined);
      if (error ?? failure) {
        await files.discard(spooled);
        reject(error ?? failure);
      } else {
        resolve({ spooled, fields });
      }
    };
    parser.on('error', (err: Error) => void settle(new ApiError(400, 'MALFORMED_MULTIPART', `The multipart body is malformed: ${err.message}`)));
    parser.on('close', () => void settle());
    req.on('aborted', () => void settle(new ApiError(400, 'MALFORMED_MULTIPART', 'The upload was aborted')));
    req.pipe(parser);
  });
}

export function createAttachmentsRouter({ files, reads, models }: { files: AttachmentService; reads: TicketReads; models: Models }): Router {
  const router = Router({ mergeParams: true });
  const access = createFileAccess(reads, models);

  async function visibleAttachment(req: Request): Promise<{ row: Model; who: TicketFileAccess }> {
    const number = parse(TicketNumberParam, (req.params as Record<string, string>).number, 'number');
    const id = parse(AttachmentIdParam, req.params.id, 'id');
    const who = await access(principalOf(req), number);
    const row = await files.find(number, id, who.staffRead);
    if (!row) throw notFound('Attachment');
    return { row, who };
  }

  router.post('/', async (req, res) => {
    const user = principalOf(req);
    const number = parse(TicketNumberParam, (req.params as Record<string, string>).number, 'number');
    const who = await access(user, number);
    // Checked before the body is read, so a refused caller never costs a 25 MB spool.
    assertMayUpload(who, 'public');
    if (!req.is('multipart/form-data')) throw validationError([{ field: 'Content-Type', message: 'must be multipart/form-data' }]);
    const { spooled, fields } = await receive(req, files);
    try {
      const { visibility } = parse(UploadFields, fields);
      assertMayUpload(who, visibility);
      if (spooled.length === 0) throw validationError([{ field: 'file', message: 'at least one file is required' }]);
      const refusal = refusalOf(spooled);
      if (refusal) throw refusal;
      const created = [];
      for (const s of spooled) created.push(await files.commit(number, s, { visibility, uploadedBy: user.id, source: 'portal' }));
      sendData(req, res, created, 201);
    } finally {
      await files.discard(spooled);
    }
  });

  router.get('/', async (req, res) => {
    const number = parse(TicketNumberParam, (req.params as Record<string, string>).number, 'number');
    const { page, limit } = parse(PageQuery, req.query);
    const who = await access(principalOf(req), number);
    const { items, total } = await files.list(number, who.staffRead, page, limit);
    sendList(req, res, items, pagination(page, limit, total));
  });

  router.get('/:id/content', async (req, res) => {
    const { row: found } = await visibleAttachment(req);
    if (found.get('status') === 'purged') {
      const purgedAt = found.get('purged_at') ? new Date(found.get('purged_at') as string).toISOString().slice(0, 10) : 'earlier';
      throw new ApiError(410, 'ATTACHMENT_PURGED', `${String(found.get('filename'))} was removed on ${purgedAt} by the retention policy (attachments of tickets closed long ago are purged); its record stays in the audit log`);
    }
    // A file whose scan never finished (or failed) gets another try before the answer.
    const row = await files.rescan(found);
    const view = viewOf(row);
    if (view.status === 'infected') {
      throw new ApiError(409, 'ATTACHMENT_INFECTED', `${view.filename} was found to contain malware (${view.scanDetail}) and cannot be downloaded`);
    }
    if (view.status === 'quarantined') {
      throw new ApiError(409, 'ATTACHMENT_QUARANTINED', `${view.filename} is waiting for its malware scan; try again shortly`);
    }
    if (view.status === 'scan_failed') {
      throw new ApiError(409, 'ATTACHMENT_SCAN_FAILED', `${view.filename} could not be scanned for malware yet, so it stays blocked; try again later`);
    }
    const stream = await files.open(row, principalOf(req).id, req.ip);
    res.status(200);
    res.setHeader('Content-Type', view.contentType);
    res.setHeader('Content-Length', String(view.size));
    res.setHeader('Content-Disposition', contentDisposition(view.filename));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    stream.on('error', (err) => {
      req.log.error({ err, attachmentId: view.id }, 'attachment stream failed');
      res.destroy(err);
    });
    stream.pipe(res);
  });

  router.get('/:id/downloads', async (req, res) => {
    const { row, who } = await visibleAttachment(req);
    if (!who.staffRead) throw forbidden('Only staff of the ticket may see who downloaded its files');
    const { page, limit } = parse(PageQuery, req.query);
    const { items, total } = await files.downloads(row.get('id') as string, page, limit);
    sendList(req, res, items, pagination(page, limit, total));
  });

  router.post('/:id/scan', async (req, res) => {
    const { row, who } = await visibleAttachment(req);
    if (!who.staffRead) throw forbidden('Only staff of the ticket may ask for a rescan');
    if (!files.scannerConfigured) throw new ApiError(409, 'NO_SCANNER', 'No malware scanner is configured (CLAMD_HOST); files are clean on arrival');
    sendData(req, res, viewOf(await files.rescan(row, { force: true })));
  });

  return router;
}
