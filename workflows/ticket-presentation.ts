import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { TicketState } from './definitions';
import type { ConfigSnapshot } from './domain/types';
import {
  SlaBreachedKey,
  TicketAssigneeKey,
  TicketDepartmentKey,
  TicketPriorityKey,
  TicketStatusKey,
  TicketTeamKey,
} from './search-attributes';

/** What ops see of a ticket in Temporal UI: search attributes to filter by, details to read. */
export function ticketSearchAttributes(state: TicketState, config: ConfigSnapshot): SearchAttributeUpdatePair[] {
  const team = config.teams.find((t) => t.id === state.teamId);
  return [
    { key: TicketStatusKey, value: state.status },
    { key: TicketPriorityKey, value: state.priority },
    { key: TicketTeamKey, value: team?.code ?? null },
    { key: TicketDepartmentKey, value: config.category.departmentCode },
    { key: TicketAssigneeKey, value: state.assigneeId === null ? null : String(state.assigneeId) },
    { key: SlaBreachedKey, value: false },
  ];
}

export function describeTicket(state: TicketState, config: ConfigSnapshot): string {
  const team = config.teams.find((t) => t.id === state.teamId);
  return [
    `**#${state.number} ${state.title}**`,
    `Status: \`${state.status}\` · Priority: \`${state.priority}\``,
    `Team: ${team ? `${team.name} (${team.code})` : 'unrouted'} · Assignee: ${state.assigneeId ?? 'nobody'}`,
    `Version ${state.version}, updated ${state.updatedAt}`,
  ].join('\n\n');
}
