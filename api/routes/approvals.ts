import { Router } from 'express';
import { Op } from 'sequelize';
import type { Models } from '../../lib/db/models';
import type { Organisation } from '../../lib/db/organisation';
import { principalOf } from '../auth';
import { actingTasks } from '../approval-authority';
import type { DelegationView } from '../contract/types';
import { forEachTicket } from '../bulk';
import { pagination, sendData, sendList } from '../envelope';
import { notFound, parse, validationError } from '../errors';
import { BulkApproveBody, DelegationBody, PageQuery, RecordId } from '../schemas';
import type { TicketReads } from '../ticket-reads';
import type { TicketService } from '../ticket-service';

function delegationView(row: { get(key: string): unknown }, names: Map<number, string>): DelegationView {
  return {
    id: row.get('id') as number,
    fromUserId: row.get('from_user_id') as number,
    toUserId: row.get('to_user_id') as number,
    startsOn: row.get('starts_on') as string,
    endsOn: row.get('ends_on') as string,
    fromName: names.get(row.get('from_user_id') as number) ?? null,
    toName: names.get(row.get('to_user_id') as number) ?? null,
  };
}

/** Names of both sides of some delegations, so a list reads "Mark Manager → Carla CFO" rather than numbers. */
async function namesOf(organisation: Organisation, rows: Array<{ get(key: string): unknown }>): Promise<Map<number, string>> {
  const ids = [...new Set(rows.flatMap((r) => [r.get('from_user_id') as number, r.get('to_user_id') as number]))];
  return organisation.activeNames(ids);
}

/** The approver's side: the queue of steps waiting on me, bulk approval, and my out-of-office delegations. */
export function createApprovalsRouter({ reads, service, models, organisation }: { reads: TicketReads; service: TicketService; models: Models; organisation: Organisation }): Router {
  const router = Router();

  router.get('/pending', async (req, res) => {
    const { page, limit } = parse(PageQuery, req.query);
    const all = await reads.pendingApprovals(principalOf(req).id);
    sendList(req, res, all.slice((page - 1) * limit, page * limit), pagination(page, limit, all.length));
  });

  /** Routine requests approved in one go, each decision naming its step; each ticket answers for itself. */
  router.post('/bulk-approve', async (req, res) => {
    const body = parse(BulkApproveBody, req.body ?? {});
    const user = principalOf(req);
    const shown = new Map(body.items?.map((i) => [i.number, i.step]));
    const numbers = body.items?.map((i) => i.number) ?? body.numbers!;
    // Without the steps shown, each ticket's step is the one waiting on the caller now (their queue's).
    const waiting = new Map((await actingTasks(models.Ticket.sequelize!, user.id, { tickets: numbers })).map((t) => [t.ticketNumber, t.step]));
    const results = await forEachTicket(numbers, (number) => service.decideApproval(user, number, 'approve', { step: shown.get(number) ?? waiting.get(number) }, undefined));
    sendData(req, res, { results, succeeded: results.filter((r) => r.status === 200).length, failed: results.filter((r) => r.status !== 200).length });
  });

  router.get('/delegations', async (req, res) => {
    const { page, limit } = parse(PageQuery, req.query);
    const { rows, count } = await models.Delegation.findAndCountAll({
      where: { [Op.or]: [{ from_user_id: principalOf(req).id }, { to_user_id: principalOf(req).id }] },
      order: [['starts_on', 'ASC'], ['id', 'ASC']],
      limit,
      offset: (page - 1) * limit,
    });
    const names = await namesOf(organisation, rows);
    sendList(req, res, rows.map((row) => delegationView(row, names)), pagination(page, limit, count));
  });

  /**
   * Out of office: my approvals go to someone else between two dates. Tickets that start
   * while it is in force carry it; pending steps show in the delegate's queue at once.
   */
  router.post('/delegations', async (req, res) => {
    const user = principalOf(req);
    const body = parse(DelegationBody, req.body ?? {});
    if (body.toUserId === user.id) throw validationError([{ field: 'toUserId', message: 'cannot be yourself' }]);
    if (!(await organisation.activeNames([body.toUserId])).has(body.toUserId)) throw validationError([{ field: 'toUserId', message: 'is not an active person in the directory' }]);
    const row = await models.Delegation.create({ from_user_id: user.id, to_user_id: body.toUserId, starts_on: body.startsOn, ends_on: body.endsOn, created_at: new Date() });
    res.setHeader('Location', `${req.baseUrl}/delegations/${row.get('id') as number}`);
    sendData(req, res, delegationView(row, await namesOf(organisation, [row])), 201);
  });

  router.delete('/delegations/:id', async (req, res) => {
    const id = parse(RecordId, req.params.id, 'id');
    const removed = await models.Delegation.destroy({ where: { id, from_user_id: principalOf(req).id } });
    if (removed === 0) throw notFound('Delegation');
    sendData(req, res, { id, deleted: true });
  });

  return router;
}
