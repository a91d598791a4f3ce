import { Router } from 'express';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { Organisation, UserProfile } from '../../lib/db/organisation';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { forbidden, notFound, parse, validationError } from '../errors';
import { PageQuery, RecordId, searchText, TicketNumberParam } from '../schemas';
import { audienceOf } from '../ticket-audience';
import type { MentionCandidate, WatcherView } from '../contract/types';

export const WatchBody = z.strictObject({ userId: z.number().int().positive().max(2_147_483_647).optional() });
export const MentionableQuery = z.strictObject({ q: searchText(1, 100) });

/** Suggestions shown while typing a mention; a few are enough to pick from, more only scroll. */
const MENTION_SUGGESTIONS = 8;

/**
 * Who follows a ticket. Anyone who may see a ticket may watch it themselves; the staff of
 * the ticket (those who read its internal notes: its team, sharing teams, admins) may add
 * or remove anyone who may see it. Requesters and other non-staff see only their own entry,
 * so the list does not reveal which colleagues were mentioned where.
 */
export function createWatchersRouter({ models, organisation }: { models: Models; organisation: Organisation }): Router {
  const router = Router();

  async function callerOn(number: number, user: UserProfile) {
    const [me] = await audienceOf(models, number, [user]);
    if (!me) throw notFound('Ticket');
    return me;
  }

  router.get('/:number/watchers', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const { page, limit } = parse(PageQuery, req.query);
    const user = principalOf(req);
    const me = await callerOn(number, user);
    const { rows, count } = await models.TicketWatcher.findAndCountAll({
      where: { ticket_number: number, ...(me.internal ? {} : { user_id: user.id }) },
      order: [['created_at', 'ASC'], ['user_id', 'ASC']],
      limit,
      offset: (page - 1) * limit,
    });
    const names = new Map(
      (await models.User.findAll({ where: { id: rows.map((r) => r.get('user_id') as number) }, attributes: ['id', 'name'] })).map((u) => [u.get('id') as number, u.get('name') as string]),
    );
    const items = rows.map((r): WatcherView => ({
      userId: r.get('user_id') as number,
      name: names.get(r.get('user_id') as number) ?? null,
      reason: r.get('reason') as string,
      addedBy: (r.get('added_by') as number | null) ?? null,
      createdAt: new Date(r.get('created_at') as string).toISOString(),
    }));
    sendList(req, res, items, pagination(page, limit, count));
  });

  router.post('/:number/watchers', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const body = parse(WatchBody, req.body ?? {});
    const user = principalOf(req);
    const me = await callerOn(number, user);
    const userId = body.userId ?? user.id;
    if (userId !== user.id) {
      if (!me.internal) throw forbidden('Only the staff of this ticket may add other people as watchers');
      const [target] = await organisation.usersByIds([userId]);
      if (!target) throw validationError([{ field: 'userId', message: 'is not an active person in the directory' }]);
      if ((await audienceOf(models, number, [target])).length === 0) throw validationError([{ field: 'userId', message: 'may not see this ticket' }]);
    }
    const existing = await models.TicketWatcher.findOne({ where: { ticket_number: number, user_id: userId } });
    if (!existing) {
      await models.TicketWatcher.bulkCreate([{ ticket_number: number, user_id: userId, added_by: user.id, reason: 'manual', created_at: new Date() }], { ignoreDuplicates: true });
    }
    sendData(req, res, { ticketNumber: number, userId, watching: true }, existing ? 200 : 201);
  });

  /**
   * Whom the caller may @mention on this ticket: people the API would deliver the mention
   * to (they may open the ticket), each marked with whether they may read internal notes,
   * so a note's composer offers only those an internal mention reaches.
   */
  router.get('/:number/mentionable', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const { q } = parse(MentionableQuery, req.query);
    const user = principalOf(req);
    await callerOn(number, user);
    const found = (await organisation.findPeople(q, 40)).filter((p) => p.id !== user.id);
    const profiles = await organisation.usersByIds(found.map((p) => p.id));
    const audience = new Map((await audienceOf(models, number, profiles)).map((a) => [a.user.id, a.internal]));
    const items: MentionCandidate[] = found
      .filter((p) => audience.has(p.id))
      .slice(0, MENTION_SUGGESTIONS)
      .map((p) => ({ ...p, internal: audience.get(p.id)! }));
    sendData(req, res, items);
  });

  router.delete('/:number/watchers/:userId', async (req, res) => {
    const number = parse(TicketNumberParam, req.params.number, 'number');
    const userId = parse(RecordId, req.params.userId, 'userId');
    const user = principalOf(req);
    const me = await callerOn(number, user);
    if (userId !== user.id && !me.internal) throw forbidden('Only the staff of this ticket may remove other watchers');
    const removed = await models.TicketWatcher.destroy({ where: { ticket_number: number, user_id: userId } });
    if (removed === 0) throw notFound('Watcher');
    sendData(req, res, { ticketNumber: number, userId, watching: false });
  });

  return router;
}
