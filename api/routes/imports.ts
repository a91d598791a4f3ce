import crypto from 'node:crypto';
import { Router, type Request } from 'express';
import { Op } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { ApiError, forbidden, notFound, parse } from '../errors';
import { IMPORT_LIMITS } from '../imports/ingest';
import type { ImportRunner } from '../imports/runner';
import { streamCsv } from '../reports/csv';
import { PageQuery } from '../schemas';

export const ImportUploadQuery = z.strictObject({ filename: z.string().trim().min(1).max(200).optional() });
export const ImportErrorsQuery = PageQuery.extend({ format: z.enum(['json', 'csv']).default('json') });
const ImportId = z.uuid();

/** Bulk import acts on behalf of any employee, so it is for team leads and admins. */
const mayImport = (user: UserProfile) => user.roles.includes('lead') || user.roles.includes('admin');

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

type Row = { get(key: string): unknown };
function importView(row: Row) {
  const total = row.get('total_rows') as number;
  const [created, existing, failed] = ['created_count', 'existing_count', 'failed_count'].map((k) => row.get(k) as number) as [number, number, number];
  return {
    id: row.get('id') as string,
    filename: row.get('filename') as string,
    status: row.get('status') as string,
    createdBy: row.get('created_by') as number,
    totals: { rows: total, created, existing, failed, pending: Math.max(0, total - created - existing - failed) },
    failure: (row.get('failure') as string | null) ?? null,
    createdAt: iso(row.get('created_at')),
    startedAt: iso(row.get('started_at')),
    finishedAt: iso(row.get('finished_at')),
  };
}

/**
 * CSV import of tickets. The upload is the raw `text/csv` request body, streamed through the
 * parser into import rows; the answer is 202 with the import's id while a background runner
 * starts the tickets. Only its uploader and admins may see an import.
 */
export function createImportsRouter({ models, runner }: { models: Models; runner: ImportRunner }): Router {
  const router = Router();

  async function visibleImport(req: Request) {
    const id = parse(ImportId, req.params.id, 'id');
    const user = principalOf(req);
    const row = await models.Import.findByPk(id);
    if (!row || (row.get('created_by') !== user.id && !user.roles.includes('admin'))) throw notFound('Import');
    return row;
  }

  router.post('/', async (req, res) => {
    const user = principalOf(req);
    if (!mayImport(user)) throw forbidden('Only team leads and admins may import tickets');
    const { filename } = parse(ImportUploadQuery, req.query);
    if (!req.is('text/csv')) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as the request body with Content-Type: text/csv', [{ field: 'Content-Type', message: 'must be text/csv' }]);
    const declared = Number(req.get('content-length') ?? 0);
    if (declared > IMPORT_LIMITS.maxBytes) {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The file is larger than ${IMPORT_LIMITS.maxBytes / (1024 * 1024)} MB; split it into several imports`);
    }
    const id = crypto.randomUUID();
    await models.Import.create({ id, created_by: user.id, filename: filename ?? 'upload.csv', status: 'receiving', created_at: new Date() });
    const { rows } = await runner.receive(id, req);
    void runner.start(id);
    res.setHeader('Location', `${req.baseUrl}/${id}`);
    sendData(req, res, { id, status: 'queued', rows, limits: IMPORT_LIMITS }, 202);
  });

  router.get('/', async (req, res) => {
    const { page, limit } = parse(PageQuery, req.query);
    const user = principalOf(req);
    if (!mayImport(user)) throw forbidden('Only team leads and admins may import tickets');
    const { rows, count } = await models.Import.findAndCountAll({
      where: user.roles.includes('admin') ? {} : { created_by: user.id },
      order: [['created_at', 'DESC'], ['id', 'ASC']],
      limit,
      offset: (page - 1) * limit,
    });
    sendList(req, res, rows.map(importView), pagination(page, limit, count));
  });

  router.get('/:id', async (req, res) => {
    sendData(req, res, importView(await visibleImport(req)));
  });

  router.get('/:id/errors', async (req, res) => {
    const row = await visibleImport(req);
    const { page, limit, format } = parse(ImportErrorsQuery, req.query);
    const importId = row.get('id') as string;
    const where = { import_id: importId, outcome: 'error' };
    if (format === 'csv') {
      // Keyset pages by row number: the whole report is streamed, never held.
      async function* pages() {
        let after = 0;
        for (;;) {
          const batch = await models.ImportRow.findAll({ where: { ...where, row_number: { [Op.gt]: after } }, order: [['row_number', 'ASC']], limit: 1000 });
          if (batch.length === 0) return;
          yield batch.flatMap((r) => ((r.get('errors') as Array<{ field: string; message: string }>) ?? []).map((e) => [r.get('row_number'), r.get('external_id'), e.field, e.message]));
          after = batch[batch.length - 1]!.get('row_number') as number;
        }
      }
      await streamCsv(res, `import-${importId}-errors.csv`, ['row', 'external_id', 'column', 'message'], pages());
      return;
    }
    const { rows, count } = await models.ImportRow.findAndCountAll({ where, order: [['row_number', 'ASC']], limit, offset: (page - 1) * limit });
    const items = rows.map((r) => ({ row: r.get('row_number') as number, externalId: (r.get('external_id') as string | null) ?? null, errors: r.get('errors') }));
    sendList(req, res, items, pagination(page, limit, count));
  });

  return router;
}
