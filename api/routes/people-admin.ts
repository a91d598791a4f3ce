import type { Client } from '@temporalio/client';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Models } from '../../lib/db/models';
import { importPeople } from '../admin/people-import';
import { createPeopleAdmin, PeopleQuery, PersonEditBody } from '../admin/people';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { forbidden, parse, validationError } from '../errors';
import { RecordId } from '../schemas';
import { createPersonEffects } from '../scim/person-effects';

function adminsOnly(req: Request, _res: Response, next: NextFunction): void {
  next(principalOf(req).roles.includes('admin') ? undefined : forbidden('Only administrators manage people'));
}

/** /admin/people: the directory in the admin console (search, view, edit, CSV import). */
export function createPeopleAdminRouter({ models, client, logger, taskQueue }: { models: Models; client: Client; logger: Logger; taskQueue: string }): Router {
  const effects = createPersonEffects({ models, client, logger, taskQueue });
  const admin = createPeopleAdmin({ models, effects });
  const router = Router();
  router.use(adminsOnly);
  router.get('/', async (req, res) => {
    const { q, page, limit } = parse(PeopleQuery, req.query);
    const { items, total } = await admin.search(q, page, limit);
    sendList(req, res, items, pagination(page, limit, total));
  });
  router.get('/:id', async (req, res) => sendData(req, res, await admin.get(parse(RecordId, req.params.id, 'id'))));
  router.patch('/:id', async (req, res) => {
    sendData(req, res, await admin.update(principalOf(req), parse(RecordId, req.params.id, 'id'), parse(PersonEditBody, req.body ?? {})));
  });
  // The CSV itself is the body (text/csv), so no multipart parsing for a file of a few hundred kilobytes.
  router.post('/import', express.text({ type: ['text/csv', 'text/plain'], limit: '5mb' }), async (req, res) => {
    // Or JSON { "csv": "…" }, which is what the portal's form sends.
    const body: unknown = req.body;
    const csv = typeof body === 'string' ? body : typeof (body as { csv?: unknown } | undefined)?.csv === 'string' ? (body as { csv: string }).csv : '';
    if (!csv.trim()) throw validationError([{ field: 'file', message: 'send the CSV as the body (Content-Type: text/csv) or as {"csv": "…"}' }]);
    sendData(req, res, await importPeople(models, effects, principalOf(req), csv));
  });
  return router;
}
