import type { Models } from '../lib/db/models';
import { createOrganisation } from '../lib/db/organisation';
import { audienceOf } from '../api/ticket-audience';
import type { NotifyInput } from '../workflows/definitions';

/** The notifications a watcher also receives; nothing else (no approvals, no SLA pages). */
const WATCHED_KINDS = new Set(['public_reply', 'status_changed']);

/**
 * Watchers, as seen by the notify activity: mentioned people start watching, and watchers
 * hear of public replies and status changes. Each delivery re-checks that the watcher may
 * still see the ticket (a transfer or a role change ends what they may read). Nothing from
 * an internal note reaches a watcher because the workflow emits no notification at all for
 * a non-public event (TicketEntity.record); the kinds watched here exist only for public ones.
 * Nobody hears of their own action: the notification names its actor.
 */
export function createWatcherDelivery(models: Models) {
  const organisation = createOrganisation(models);

  async function visibleAmong(number: number, userIds: number[]): Promise<number[]> {
    const audience = await audienceOf(models, number, await organisation.usersByIds(userIds));
    return audience.map((a) => a.user.id);
  }

  return async function watchersToNotify(input: NotifyInput, recipients: number[]): Promise<number[]> {
    const number = input.ticketNumber;
    if (input.kind === 'mention' && recipients.length > 0) {
      const mentioned = await visibleAmong(number, recipients);
      // ignoreDuplicates keeps a retried activity (and an earlier manual watch) as it was.
      await models.TicketWatcher.bulkCreate(
        mentioned.map((userId) => ({ ticket_number: number, user_id: userId, added_by: null, reason: 'mention', created_at: new Date() })),
        { ignoreDuplicates: true },
      );
      return [];
    }
    if (!WATCHED_KINDS.has(input.kind)) return [];
    const watchers = await models.TicketWatcher.findAll({ where: { ticket_number: number }, attributes: ['user_id'] });
    const ids = watchers.map((w) => w.get('user_id') as number).filter((id) => !recipients.includes(id) && id !== input.actorId);
    return ids.length === 0 ? [] : visibleAmong(number, ids);
  };
}
