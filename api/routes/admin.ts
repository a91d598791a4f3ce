import type { Client } from '@temporalio/client';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { ServerClient } from 'postmark';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import { auditPage } from '../admin/audit';
import { CalendarBody, createCalendarAdmin } from '../admin/calendars';
import { createNotificationTemplateAdmin, NotificationTemplateBody, TemplateAlias } from '../admin/notification-templates';
import { ApplyToOpenBody, createSlaPolicyAdmin, PublishBody, SlaPolicyBody } from '../admin/sla-policies';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { forbidden, parse } from '../errors';
import { PageQuery, RecordId } from '../schemas';

const PreviewQuery = z.strictObject({ from: z.iso.datetime({ offset: true }).optional(), count: z.coerce.number().int().min(1).max(50).default(10) });
// Entity names and ids are identifiers: control bytes (a NUL made the database driver throw, found by fuzzing) get a 400.
const AuditQuery = PageQuery.extend({ entity: z.string().max(48).regex(/^[\w.:@-]*$/, 'letters, digits and _ . : @ - only').optional(), entityId: z.string().max(64).regex(/^[\w.:@-]*$/, 'letters, digits and _ . : @ - only').optional(), actorId: z.coerce.number().int().positive().optional() });

function adminsOnly(req: Request, _res: Response, next: NextFunction): void {
  next(principalOf(req).roles.includes('admin') ? undefined : forbidden('Only administrators may change the organisation'));
}

/**
 * Leads see the admin console read-only, so they may read calendars (and their preview),
 * SLA policies and templates; every change stays with administrators, and so do the reads
 * that show more than configuration (the audit log, the open tickets an apply would move),
 * each guarded on its own route: Express matches paths without regard to case, so a guard
 * that compared the path let `/AUDIT` through.
 */
function leadsReadAdminsWrite(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' && principalOf(req).roles.includes('lead')) return next();
  adminsOnly(req, res, next);
}

/** The admin console's configuration endpoints; every change is validated, version-checked and audited. */
export function createAdminRouter({ models, client, taskQueue, postmark, logger }: { models: Models; client: Client; taskQueue: string; postmark?: ServerClient; logger: Logger }): Router {
  const router = Router();
  const templates = createNotificationTemplateAdmin({ models, postmark, logger });
  const calendars = createCalendarAdmin({ models, client, taskQueue });
  const policies = createSlaPolicyAdmin({ models, client, taskQueue });
  router.use(leadsReadAdminsWrite);
  const id = (req: Request) => parse(RecordId, req.params.id, 'id');

  router.get('/calendars', async (req, res) => sendData(req, res, await calendars.list()));
  router.get('/calendars/:id/preview', async (req, res) => {
    const { from, count } = parse(PreviewQuery, req.query);
    sendData(req, res, await calendars.preview(parse(RecordId, req.params.id, 'id'), from ? new Date(from) : new Date(), count));
  });
  router.put('/calendars/:id', async (req, res) => {
    sendData(req, res, await calendars.update(principalOf(req), id(req), parse(CalendarBody, req.body ?? {})));
  });
  router.get('/calendars/:id/versions', async (req, res) => sendData(req, res, await calendars.versions(id(req))));
  router.post('/calendars/:id/publish', async (req, res) => sendData(req, res, await calendars.publish(principalOf(req), id(req), parse(PublishBody, req.body ?? {}))));
  router.get('/calendars/:id/apply-preview', adminsOnly, async (req, res) => sendData(req, res, await calendars.applyPreview(id(req))));
  router.post('/calendars/:id/apply-to-open', async (req, res) => {
    sendData(req, res, await calendars.applyToOpen(principalOf(req), id(req), parse(ApplyToOpenBody, req.body ?? {})), 202);
  });

  router.get('/sla-policies', async (req, res) => sendData(req, res, await policies.list()));
  router.put('/sla-policies/:id', async (req, res) => {
    sendData(req, res, await policies.update(principalOf(req), id(req), parse(SlaPolicyBody, req.body ?? {})));
  });
  router.get('/sla-policies/:id/versions', async (req, res) => sendData(req, res, await policies.versions(id(req))));
  router.post('/sla-policies/:id/publish', async (req, res) => sendData(req, res, await policies.publish(principalOf(req), id(req), parse(PublishBody, req.body ?? {}))));
  router.get('/sla-policies/:id/apply-preview', adminsOnly, async (req, res) => sendData(req, res, await policies.preview(id(req))));
  router.post('/sla-policies/:id/apply-to-open', async (req, res) => {
    sendData(req, res, await policies.applyToOpen(principalOf(req), id(req), parse(ApplyToOpenBody, req.body ?? {})), 202);
  });

  router.get('/notification-templates', async (req, res) => {
    const { page, limit } = parse(PageQuery, req.query);
    const { items, total } = await templates.list(page, limit);
    sendList(req, res, items, pagination(page, limit, total));
  });
  router.get('/notification-templates/:alias', async (req, res) => sendData(req, res, await templates.get(parse(TemplateAlias, req.params.alias, 'alias'))));
  router.put('/notification-templates/:alias', async (req, res) => {
    const alias = parse(TemplateAlias, req.params.alias, 'alias');
    sendData(req, res, await templates.update(principalOf(req), alias, parse(NotificationTemplateBody, req.body ?? {})));
  });

  router.get('/audit', adminsOnly, async (req, res) => {
    const query = parse(AuditQuery, req.query);
    const { items, total } = await auditPage(models, query, query.page, query.limit);
    sendList(req, res, items, pagination(query.page, query.limit, total));
  });
  return router;
}
