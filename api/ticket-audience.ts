import { Op } from 'sequelize';
import type { Models } from '../lib/db/models';
import type { UserProfile } from '../lib/db/organisation';
import { seesInternal, visibleTickets } from './access';

/**
 * Which of these people may see a ticket (and its internal notes), by the same rules
 * as every read route. Watchers and mentions are checked against it, so a notification
 * never reaches someone who could not open the ticket it is about.
 */
export async function audienceOf(models: Models, number: number, people: UserProfile[]): Promise<Array<{ user: UserProfile; internal: boolean }>> {
  if (people.length === 0) return [];
  const ticket = await models.Ticket.findByPk(number, { attributes: ['number', 'team_id'] });
  if (!ticket) return [];
  const sharedTeamIds = (await models.TicketShare.findAll({ where: { ticket_number: number }, attributes: ['team_id'] })).map((s) => s.get('team_id') as number);
  const teamId = (ticket.get('team_id') as number | null) ?? null;
  const checks = await Promise.all(
    people.map(async (user) => ({ user, sees: (await models.Ticket.count({ where: { [Op.and]: [{ number }, visibleTickets(user)] } })) > 0 })),
  );
  return checks.filter((c) => c.sees).map(({ user }) => ({ user, internal: seesInternal(user, { teamId, sharedTeamIds }) }));
}
