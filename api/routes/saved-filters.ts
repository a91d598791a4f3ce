import { Router } from 'express';
import type { Model } from 'sequelize';
import type { Models } from '../../lib/db/models';
import { principalOf } from '../auth';
import type { SavedFilter, SavedFilterCriteria } from '../contract/types';
import { sendData } from '../envelope';
import { ApiError, notFound, parse } from '../errors';
import { RecordId, SavedFilterBody } from '../schemas';

/** Enough for every view a person works from; a bound so one account cannot fill the table. */
export const MAX_SAVED_FILTERS = 50;

function view(row: Model): SavedFilter {
  return {
    id: row.get('id') as number,
    name: row.get('name') as string,
    filters: row.get('filters') as SavedFilterCriteria,
    createdAt: new Date(row.get('created_at') as string).toISOString(),
    updatedAt: new Date(row.get('updated_at') as string).toISOString(),
  };
}

/**
 * A person's saved ticket-list filters, kept by the API so they follow the person from
 * browser to browser. Only the owner reads or deletes one: anybody else's id is a 404.
 */
export function createSavedFiltersRouter({ models }: { models: Models }): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const rows = await models.SavedFilter.findAll({ where: { user_id: principalOf(req).id }, order: [['name', 'ASC'], ['id', 'ASC']] });
    sendData(req, res, rows.map(view));
  });

  /** Saving under a name already used replaces that filter (200); a new name creates one (201). */
  router.post('/', async (req, res) => {
    const user = principalOf(req);
    const { name, filters } = parse(SavedFilterBody, req.body ?? {});
    const existing = await models.SavedFilter.findOne({ where: { user_id: user.id, name } });
    if (existing) {
      await existing.update({ filters });
      sendData(req, res, view(existing));
      return;
    }
    if ((await models.SavedFilter.count({ where: { user_id: user.id } })) >= MAX_SAVED_FILTERS) {
      throw new ApiError(409, 'LIMIT_REACHED', `You already have ${MAX_SAVED_FILTERS} saved filters: delete one before saving another.`);
    }
    const row = await models.SavedFilter.create({ user_id: user.id, name, filters });
    res.setHeader('Location', `${req.baseUrl}/${row.get('id') as number}`);
    sendData(req, res, view(row), 201);
  });

  router.delete('/:id', async (req, res) => {
    const id = parse(RecordId, req.params.id, 'id');
    const removed = await models.SavedFilter.destroy({ where: { id, user_id: principalOf(req).id } });
    if (removed === 0) throw notFound('Saved filter');
    sendData(req, res, { id, deleted: true });
  });

  return router;
}
