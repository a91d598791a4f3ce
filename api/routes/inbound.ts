import crypto from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../../lib/config';
import type { Models } from '../../lib/db/models';
import { principalOf } from '../auth';
import { meta, pagination, sendData, sendList } from '../envelope';
import { ApiError, forbidden, parse } from '../errors';
import type { InboundMail } from '../inbound/postmark';
import { PageQuery } from '../schemas';

const digest = (value: string) => crypto.createHash('sha256').update(value).digest();

/**
 * HTTP basic auth as Postmark sends it (credentials in the webhook URL). Both parts are
 * compared as fixed-length digests with timingSafeEqual, so timing reveals nothing.
 */
function basicAuth(settings: Config['mail']['inbound'] | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!settings?.password) {
      next(new ApiError(503, 'NOT_CONFIGURED', 'The inbound email webhook is not configured (INBOUND_WEBHOOK_PASSWORD is unset)'));
      return;
    }
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('authorization') ?? '');
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : '';
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    const userOk = crypto.timingSafeEqual(digest(user), digest(settings.user));
    const passwordOk = crypto.timingSafeEqual(digest(password), digest(settings.password));
    if (match && userOk && passwordOk) {
      next();
      return;
    }
    res.status(401).setHeader('WWW-Authenticate', 'Basic realm="inbound-email", charset="UTF-8"');
    res.json({ success: false, error: { code: 'UNAUTHORIZED', message: 'Wrong or missing webhook credentials', details: [] }, meta: meta(req) });
  };
}

/**
 * Postmark's inbound webhook, mounted before bearer authentication and the 1 MB JSON
 * limit: it authenticates with its own basic auth, and a message with attachments
 * arrives base64-encoded in one JSON body (Postmark allows 35 MB per message).
 */
/** `inbound` is absent without APP_SECRET (no reply address can be verified): the webhook then answers 503 like an unset password. */
export function createInboundRouter({ inbound, settings }: { inbound: InboundMail | undefined; settings: Config['mail']['inbound'] | undefined }): Router {
  const router = Router();
  router.post('/postmark', basicAuth(inbound ? settings : undefined), express.json({ limit: '50mb' }), async (req, res) => {
    const answer = await inbound!.receive(req.body);
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (answer.status >= 400) {
      const code = answer.outcome === 'malformed' ? 'VALIDATION_ERROR' : answer.outcome.toUpperCase();
      res.status(answer.status).json({ success: false, error: { code, message: answer.reason ?? 'Refused', details: answer.details }, meta: meta(req) });
      return;
    }
    sendData(req, res, { outcome: answer.outcome, ticketNumber: answer.ticketNumber, attachments: answer.attachments });
  });
  return router;
}

/** Ops' view of every inbound message and what became of it. */
export function createInboundEmailsRouter({ models }: { models: Models }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    if (!principalOf(req).roles.includes('admin')) throw forbidden('Only administrators may read the inbound email log');
    const { page, limit } = parse(PageQuery, req.query);
    const { rows, count } = await models.InboundEmail.findAndCountAll({ order: [['received_at', 'DESC'], ['id', 'DESC']], limit, offset: (page - 1) * limit });
    const items = rows.map((r) => ({
      id: r.get('id') as number,
      messageId: (r.get('message_id') as string | null) ?? null,
      from: (r.get('from_address') as string | null) ?? null,
      to: (r.get('to_address') as string | null) ?? null,
      mailboxHash: (r.get('mailbox_hash') as string | null) ?? null,
      subject: (r.get('subject') as string | null) ?? null,
      outcome: r.get('outcome') as string,
      reason: (r.get('reason') as string | null) ?? null,
      statusCode: r.get('status_code') as number,
      ticketNumber: (r.get('ticket_number') as number | null) ?? null,
      detail: r.get('detail') ?? null,
      receivedAt: new Date(r.get('received_at') as string).toISOString(),
    }));
    sendList(req, res, items, pagination(page, limit, count));
  });
  return router;
}
