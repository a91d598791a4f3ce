import type { Models } from '../lib/db/models';
import type { Organisation } from '../lib/db/organisation';
import type { MessageVisibility } from '../workflows/definitions';
import { audienceOf } from './ticket-audience';

// `@someone@example.com`: an address is the one handle that is unique in the directory.
const MENTION = /(?<![\w.%+-])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;
const MAX_MENTIONS = 20;

/**
 * The people a message mentions, resolved by the API for the workflow. Only active
 * people who may see the ticket count — and for an internal note, only those who may
 * read internal notes — so a mention never carries a message to someone it would leak to.
 * Anything else that looks like a mention stays plain text.
 */
export async function mentionedUserIds(
  { models, organisation }: { models: Models; organisation: Organisation },
  number: number,
  body: string,
  visibility: MessageVisibility,
): Promise<number[]> {
  const emails = [...new Set([...body.matchAll(MENTION)].map((m) => m[1]!.toLowerCase()))].slice(0, MAX_MENTIONS);
  if (emails.length === 0) return [];
  const rows = await models.User.findAll({ where: { email: emails, active: true }, attributes: ['id'] });
  const people = await organisation.usersByIds(rows.map((r) => r.get('id') as number));
  const audience = await audienceOf(models, number, people);
  return audience.filter((a) => visibility === 'public' || a.internal).map((a) => a.user.id);
}
