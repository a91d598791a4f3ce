import express, { Router, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { UniqueConstraintError } from 'sequelize';
import type { Models } from '../../lib/db/models';
import type { Organisation, UserProfile } from '../../lib/db/organisation';
import type { Signer } from '../../lib/signing';
import { openApprovalLink, type ApprovalLinkPayload } from '../../mail/approval-links';
import { APPROVAL_PAGE_CSP, confirmationPage, messagePage } from '../approval-link-pages';
import { toApiError } from '../errors';
import type { TicketService } from '../ticket-service';

export interface ApprovalLinkDeps {
  signer: Signer;
  models: Models;
  organisation: Organisation;
  service: TicketService;
  logger: Logger;
  /** Portal base URL, so the pages can point at the ticket. */
  webUrl?: string;
}

type Refusal = { status: number; title: string; message: string };

/**
 * One-click approval links from email. GET shows what will happen and never decides;
 * POST claims the link's id once (a unique insert, so two clicks cannot both pass) and
 * sends the approval Update as the approver. A used, expired, forged or outdated link
 * gets a page that says so, never a second decision.
 */
export function createApprovalLinksRouter({ signer, models, organisation, service, logger, webUrl }: ApprovalLinkDeps): Router {
  const router = Router();
  const ticketLink = (n: number) => (webUrl ? { href: `${webUrl.replace(/\/+$/, '')}/tickets/${n}`, label: `Open ticket #${n} in the portal` } : undefined);
  router.use(rateLimit({ windowMs: 60_000, limit: 60, standardHeaders: 'draft-8', legacyHeaders: false, keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown') }));
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', APPROVAL_PAGE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const refuse = (res: Response, r: Refusal, ticket?: number) => void res.status(r.status).type('html').send(messagePage(r.title, r.message, ticket ? ticketLink(ticket) : undefined));

  function open(token: unknown): { payload: ApprovalLinkPayload } | Refusal {
    if (typeof token !== 'string' || token.length === 0) return { status: 400, title: 'This link is not valid', message: 'The approval link is incomplete. Open the request from the portal instead.' };
    const opened = openApprovalLink(signer, token, new Date());
    if (opened.ok) return { payload: opened.payload };
    if (opened.reason === 'expired') return { status: 410, title: 'This link has expired', message: 'Approval links work for a limited time. Decide from the portal instead.' };
    return { status: 400, title: 'This link is not valid', message: 'The approval link was altered or cut short. Open the request from the portal instead.' };
  }

  /** Whether the link can still decide something: not used, the step still waiting on this approver. */
  async function state(p: ApprovalLinkPayload): Promise<Refusal | { ticketTitle: string; stepName: string; approver: UserProfile }> {
    const used = await models.ApprovalLinkUse.findByPk(p.jti);
    if (used) {
      return { status: 410, title: 'This link was already used', message: `This email's approval link was already used (${String(used.get('decision'))}). Each link works once.` };
    }
    const [ticket, tasks, approver] = await Promise.all([
      models.Ticket.findByPk(p.ticket, { attributes: ['number', 'title', 'status'] }),
      models.ApprovalTask.findAll({ where: { ticket_number: p.ticket, step: p.step } }),
      organisation.usersByIds([p.approverId]).then((users) => users[0]),
    ]);
    if (!ticket || !approver) return { status: 404, title: 'Request not found', message: 'The request or the approver no longer exists.' };
    const task = tasks.find((t) => t.get('acting_user_id') === p.approverId || t.get('approver_id') === p.approverId);
    const waiting = ticket.get('status') === 'pending_approval' && task !== undefined && ['pending', 'waiting_info'].includes(task.get('status') as string);
    if (!waiting) {
      return { status: 409, title: 'Nothing left to decide', message: `This approval step is no longer waiting for you (the request is now ${String(ticket.get('status')).replace(/_/g, ' ')}).` };
    }
    return { ticketTitle: ticket.get('title') as string, stepName: task.get('step_name') as string, approver };
  }

  router.get('/:token', async (req, res) => {
    const opened = open(req.params.token);
    if (!('payload' in opened)) return refuse(res, opened);
    const p = opened.payload;
    const s = await state(p);
    if ('status' in s) return refuse(res, s, p.ticket);
    res.type('html').send(confirmationPage({ token: req.params.token, decision: p.decision, ticketNumber: p.ticket, ticketTitle: s.ticketTitle, stepName: s.stepName, approverName: s.approver.name }));
  });

  router.post('/', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const opened = open(body.token);
    if (!('payload' in opened)) return refuse(res, opened);
    const p = opened.payload;
    const s = await state(p);
    if ('status' in s) return refuse(res, s, p.ticket);
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (p.decision === 'reject' && (reason.length === 0 || reason.length > 2000)) {
      res.status(400).type('html').send(
        confirmationPage({ token: String(body.token), decision: 'reject', ticketNumber: p.ticket, ticketTitle: s.ticketTitle, stepName: s.stepName, approverName: s.approver.name, reason, error: 'Give a reason for the rejection (up to 2,000 characters).' }),
      );
      return;
    }
    try {
      await models.ApprovalLinkUse.create({ jti: p.jti, ticket_number: p.ticket, step: p.step, approver_id: p.approverId, decision: p.decision, outcome: null, used_at: new Date() });
    } catch (err) {
      if (err instanceof UniqueConstraintError) return refuse(res, { status: 410, title: 'This link was already used', message: 'This approval link was used a moment ago. Each link works once.' }, p.ticket);
      throw err;
    }
    try {
      const result = await service.decideApproval(s.approver, p.ticket, p.decision, { step: p.step, ...(p.decision === 'reject' ? { reason } : {}) }, `link-${p.jti}`);
      await models.ApprovalLinkUse.update({ outcome: 'decided' }, { where: { jti: p.jti } });
      const status = String(result.status).replace(/_/g, ' ');
      const title = p.decision === 'approve' ? `Approved: request #${p.ticket}` : `Rejected: request #${p.ticket}`;
      res.type('html').send(messagePage(title, `Your decision is recorded. The request is now ${status}.`, ticketLink(p.ticket)));
    } catch (err) {
      const known = toApiError(err);
      if (known && [403, 404, 409].includes(known.status)) {
        // The workflow refused for a reason that will not change: the link stays used.
        await models.ApprovalLinkUse.update({ outcome: `refused ${known.status}` }, { where: { jti: p.jti } });
        return refuse(res, { status: known.status === 409 ? 409 : 403, title: 'Your decision was not recorded', message: known.message }, p.ticket);
      }
      // Something that may pass (the workflow service was unreachable, a bad moment): free the link for another try.
      await models.ApprovalLinkUse.destroy({ where: { jti: p.jti } });
      if (known && known.status < 500) return refuse(res, { status: known.status, title: 'Your decision was not recorded', message: known.message }, p.ticket);
      logger.error({ err, ticket: p.ticket }, 'approval link decision failed');
      refuse(res, { status: 503, title: 'Please try again', message: 'Your decision could not be recorded just now. The link still works; try again in a minute.' }, p.ticket);
    }
  });

  return router;
}
