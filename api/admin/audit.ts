import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';

/** Records an admin change: who, when, and the entity before and after. */
export async function audit(models: Models, actor: UserProfile, entity: string, entityId: number | string, action: string, before: unknown, after: unknown): Promise<void> {
  await models.AuditLog.create({ actor_id: actor.id, entity, entity_id: String(entityId), action, before: before ?? null, after: after ?? null, at: new Date() });
}

export async function auditPage(models: Models, filter: { entity?: string; entityId?: string; actorId?: number }, page: number, limit: number) {
  const where = {
    ...(filter.entity ? { entity: filter.entity } : {}),
    ...(filter.entityId ? { entity_id: filter.entityId } : {}),
    ...(filter.actorId ? { actor_id: filter.actorId } : {}),
  };
  const { rows, count } = await models.AuditLog.findAndCountAll({ where, order: [['id', 'DESC']], limit, offset: (page - 1) * limit });
  // Names for the page's actors in one query, so a reader (and a conflict message) can say who changed it.
  const actorIds = [...new Set(rows.map((r) => r.get('actor_id') as number))];
  const actors = actorIds.length ? await models.User.findAll({ where: { id: actorIds }, attributes: ['id', 'name'] }) : [];
  const nameOf = new Map(actors.map((u) => [u.get('id') as number, u.get('name') as string]));
  return {
    total: count,
    items: rows.map((r) => ({
      id: r.get('id') as number,
      actorId: r.get('actor_id') as number,
      actorName: nameOf.get(r.get('actor_id') as number) ?? null,
      entity: r.get('entity') as string,
      entityId: r.get('entity_id') as string,
      action: r.get('action') as string,
      before: r.get('before'),
      after: r.get('after'),
      at: new Date(r.get('at') as string).toISOString(),
    })),
  };
}
