import type { Models } from '../lib/db/models';
import { createOrganisation } from '../lib/db/organisation';
import { audienceOf } from '../api/ticket-audience';
import type { NotifyInput } from '../workflows/definitions';

/** The notifications a watcher also receives; nothing else (no approvals, no SLA pages). */
const WATCHED_KINDS = new Set(['public_reply', 'status_changed']);
// The workflow's notification ids are `ticket-<number>:event-<seq>:<group>`.
const EVENT_OF_NOTIFICATION = /^ticket-(\d+):event-(\d+):/;

/**
 * Watchers, as seen by the notify activity: mentioned people start watching, and watchers
 * hear of public replies and status changes. Each delivery re-checks that the watcher
 * may still see the ticket (a transfer or a role change ends what they may read) and
 * that the event is public, so nothing from an internal note ever reaches a watcher.
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
    const match = EVENT_OF_NOTIFICATION.exec(input.id);
    if (!match || Number(match[1]) !== number) return [];
    // Effects run after projection, so the event row is there; without it, deliver to no watcher rather than guess.
    const event = await models.TicketEvent.findOne({ where: { ticket_number: number, seq: Number(match[2]) }, attributes: ['actor_id', 'visibility'] });
    if (!event || event.get('visibility') !== 'public') return [];
    const actorId = event.get('actor_id') as number | null;
    const watchers = await models.TicketWatcher.findAll({ where: { ticket_number: number }, attributes: ['user_id'] });
    const ids = watchers.map((w) => w.get('user_id') as number).filter((id) => id !== actorId && !recipients.includes(id));
    return ids.length === 0 ? [] : visibleAmong(number, ids);
  };
}
