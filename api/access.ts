import { Op, type WhereOptions } from 'sequelize';
import type { UserProfile } from '../lib/db/organisation';

/**
 * Which tickets a person may see, as one SQL condition used by every list, detail and
 * action route. A ticket outside it answers 404, so its existence is not revealed.
 * Requesters see their own; agents and leads their teams'; managers their department's;
 * admins everything.
 */
export function visibleTickets(user: UserProfile): WhereOptions {
  if (user.roles.includes('admin')) return {};
  const clauses: WhereOptions[] = [{ requester_id: user.id }];
  const teamIds = user.teams.map((t) => t.id);
  if ((user.roles.includes('agent') || user.roles.includes('lead')) && teamIds.length > 0) {
    clauses.push({ team_id: { [Op.in]: teamIds } });
  }
  if (user.roles.includes('manager') && user.department) {
    clauses.push({ department_id: user.department.id });
  }
  return { [Op.or]: clauses };
}

export function teamIdsOf(user: UserProfile): number[] {
  return user.roles.includes('agent') || user.roles.includes('lead') ? user.teams.map((t) => t.id) : [];
}
