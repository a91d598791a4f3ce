import { Router } from 'express';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { forEachTicket } from '../bulk';
import { streamCsv } from '../reports/csv';
import type { Organisation } from '../../lib/db/organisation';
import { parseCustomFieldFilters } from '../custom-fields';
import { parse, validationError } from '../errors';
import {
  ActionBody,
  ActionName,
  ApprovalBody,
  ApprovalDecisionName,
  BulkActionBody,
  BulkActionName,
  CreateTicketBody,
  CustomFieldsBody,
  IdempotencyKey,
  ListTicketsQuery,
  MessageBody,
  PageQuery,
  TicketNumberParam,
} from '../schemas';
import type { TicketReads } from '../ticket-reads';
import type { TicketService } from '../ticket-service';

function idempotencyKeyOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : parse(IdempotencyKey, header, 'Idempotency-Key');
}

/** Splits `cf.` filters off the query and checks each against the declared custom fields (400 naming the parameter). */
async function listQueryOf(raw: Record<string, unknown>, organisation: Organisation): Promise<ListTicketsQuery> {
  const plain = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('cf.')));
  const query: ListTicketsQuery = parse(ListTicketsQuery, plain);
  const raws = Object.entries(raw).filter(([k]) => k.startsWith('cf.'));
  if (raws.length === 0) return query;
  const declared = new Map((await organisation.categories()).flatMap((c) => c.fields.map((f) => [f.key, f] as const)));
  const { filters, errors } = parseCustomFieldFilters(raws, declared);
  if (errors.length) throw validationError(errors);
  return { ...query, customFields: filters };
}

/** Ticket routes: thin handlers that validate, then hand over to the service or the read model. */
export function createTicketsRouter({ service, reads, organisation }: { service: TicketService; reads: TicketReads; organisation: Organisation }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const user = principalOf(req);
    const key = idempotencyKeyOf(req.get('Idempotency-Key'));
    const body = parse(CreateTicketBody, req.body ?? {});
    const { ticket, replayed } = await service.create(user, body, key);
    res.setHeader('Location', `${req.baseUrl}/${ticket.number}`);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    sendData(req, res, ticket, replayed ? 200 : 201);
  });

  router.get('/', async (req, res) => {
    const query = await listQueryOf(req.query as Record<string, unknown>, organisation);
    const { items, total } = await reads.list(query, principalOf(req));
    sendList(req, res, items, pagination(query.page, query.limit, total));
  });

  router.post('/bulk/actions/:action', async (req, res) => {
    const action = parse(BulkActionName, req.params.action, 'action');
    const { numbers, ...input } = parse(BulkActionBody, req.body ?? {});
    const user = principalOf(req);
    const results = await forEachTicket(numbers, (number) => service.act(user, number, action, input, undefined));
    sendData(req, res, { results, succeeded: results.filter((r) => r.status === 200).length, failed: results.filter((r) => r.status !== 200).length });
  });

  router.get('/export', async (req, res) => {
    const { page: _page, limit: _limit, sort: _sort, ...query } = await listQueryOf(req.query as Record<string, unknown>, organisation);
    const columns = ['number', 'title', 'status', 'priority', 'channel', 'categoryName', 'departmentName', 'teamName', 'assigneeName', 'requesterName', 'slaBreached', 'createdAt', 'updatedAt', 'resolvedAt', 'closedAt'] as const;
    const pages = reads.exportPages(query, principalOf(req));
    async function* rows() {
      for await (const page of pages) yield page.map((t) => columns.map((c) => t[c]));
    }
    await streamCsv(res, 'tickets.csv', [...columns], rows());
  });

  router.get('/:number', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    sendData(req, res, await service.detailFor(number, principalOf(req)));
  });

  router.get('/:number/events', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const { page, limit } = parse(PageQuery, req.query);
    const ticket = await service.detailFor(number, principalOf(req));
    const { items, total } = await reads.events(number, page, limit, ticket.seesInternal);
    sendList(req, res, items, pagination(page, limit, total));
  });

  router.get('/:number/messages', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const { page, limit } = parse(PageQuery, req.query);
    const ticket = await service.detailFor(number, principalOf(req));
    const { items, total } = await reads.messages(number, ticket.seesInternal, page, limit);
    sendList(req, res, items, pagination(page, limit, total));
  });

  router.post('/:number/messages', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const key = idempotencyKeyOf(req.get('Idempotency-Key'));
    const body = parse(MessageBody, req.body ?? {});
    sendData(req, res, await service.reply(principalOf(req), number, body, key), 201);
  });

  router.post('/:number/approval/:decision', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const decision = parse(ApprovalDecisionName, req.params.decision, 'decision');
    const key = idempotencyKeyOf(req.get('Idempotency-Key'));
    const body = parse(ApprovalBody, req.body ?? {});
    sendData(req, res, await service.decideApproval(principalOf(req), number, decision, body, key));
  });

  router.patch('/:number/custom-fields', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const key = idempotencyKeyOf(req.get('Idempotency-Key'));
    const body = parse(CustomFieldsBody, req.body ?? {});
    sendData(req, res, await service.editCustomFields(principalOf(req), number, body, key));
  });

  router.get('/:number/sla', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    sendData(req, res, await service.slaExplanation(principalOf(req), number));
  });

  router.get('/:number/live', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    sendData(req, res, await service.live(principalOf(req), number));
  });

  router.post('/:number/actions/:action', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const action = parse(ActionName, req.params.action, 'action');
    const key = idempotencyKeyOf(req.get('Idempotency-Key'));
    const body = parse(ActionBody, req.body ?? {});
    sendData(req, res, await service.act(principalOf(req), number, action, body, key));
  });

  return router;
}
