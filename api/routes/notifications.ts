import { Router } from 'express';
import { Op } from 'sequelize';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import { principalOf } from '../auth';
import type { NotificationView } from '../contract/types';
import { pagination, sendData, sendList } from '../envelope';
import { notFound, parse } from '../errors';
import { PageQuery } from '../schemas';

export const NotificationListQuery = PageQuery.extend({ unread: z.enum(['true', 'false']).optional() });
const NotificationId = z.string().min(1).max(191);

/** In-portal notifications: the activities write them with stable ids; people read and dismiss their own. */
export function createNotificationsRouter({ models }: { models: Models }): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const { page, limit, unread } = parse(NotificationListQuery, req.query);
    const where = { user_id: principalOf(req).id, ...(unread === 'true' ? { read_at: null } : {}) };
    const { rows, count } = await models.Notification.findAndCountAll({ where, order: [['created_at', 'DESC'], ['id', 'ASC']], limit, offset: (page - 1) * limit });
    const items = rows.map((n): NotificationView => ({
      id: n.get('id') as string,
      ticketNumber: (n.get('ticket_number') as number | null) ?? null,
      kind: n.get('kind') as string,
      title: n.get('title') as string,
      body: n.get('body') as string,
      createdAt: new Date(n.get('created_at') as string).toISOString(),
      readAt: n.get('read_at') ? new Date(n.get('read_at') as string).toISOString() : null,
    }));
    sendList(req, res, items, pagination(page, limit, count));
  });

  router.get('/unread-count', async (req, res) => {
    sendData(req, res, { unread: await models.Notification.count({ where: { user_id: principalOf(req).id, read_at: null } }) });
  });

  router.post('/read-all', async (req, res) => {
    const [updated] = await models.Notification.update({ read_at: new Date() }, { where: { user_id: principalOf(req).id, read_at: null } });
    sendData(req, res, { marked: updated });
  });

  router.post('/:id/read', async (req, res) => {
    const id = parse(NotificationId, req.params.id, 'id');
    // Someone else's notification answers 404 like a missing one.
    const row = await models.Notification.findOne({ where: { id, user_id: principalOf(req).id } });
    if (!row) throw notFound('Notification');
    if (!row.get('read_at')) await models.Notification.update({ read_at: new Date() }, { where: { id, read_at: { [Op.is]: null } } });
    sendData(req, res, { id, read: true });
  });

  return router;
}
