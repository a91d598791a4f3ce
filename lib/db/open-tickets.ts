import { Op, type WhereOptions } from 'sequelize';
import { TERMINAL_STATUSES } from '../../workflows/domain/types';

/**
 * Which open tickets run on an older version of a policy or calendar: read by the fan-out
 * activities that apply a version and by the admin API's preview of what the apply moves.
 */

/** Open tickets matching `where`, after a ticket-number cursor. */
export function openTicketsWhere(where: WhereOptions, afterNumber: number): WhereOptions {
  return { [Op.and]: [where, { status: { [Op.notIn]: [...TERMINAL_STATUSES] }, number: { [Op.gt]: afterNumber } }] };
}

/** Tickets whose clocks run on an older version of this policy (no recorded version: projected before versions, so older). */
export function onOlderPolicy(policyId: number, belowVersion: number): WhereOptions {
  return { sla_policy_id: policyId, [Op.or]: [{ sla_policy_version: { [Op.lt]: belowVersion } }, { sla_policy_version: null }] };
}

export function onOlderCalendar(calendarId: number, belowVersion: number): WhereOptions {
  return { sla_calendar_id: calendarId, [Op.or]: [{ sla_calendar_version: { [Op.lt]: belowVersion } }, { sla_calendar_version: null }] };
}
