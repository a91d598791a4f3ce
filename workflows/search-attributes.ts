import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes ops filter tickets by in Temporal UI (e.g. `TicketStatus="in_progress"`).
 * `temporal/search-attributes.ts` registers exactly these on the server.
 */
export const TicketStatusKey = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);
export const TicketPriorityKey = defineSearchAttributeKey('TicketPriority', SearchAttributeType.KEYWORD);
export const TicketTeamKey = defineSearchAttributeKey('TicketTeam', SearchAttributeType.KEYWORD);
export const TicketDepartmentKey = defineSearchAttributeKey('TicketDepartment', SearchAttributeType.KEYWORD);
export const TicketAssigneeKey = defineSearchAttributeKey('TicketAssignee', SearchAttributeType.KEYWORD);
export const SlaBreachedKey = defineSearchAttributeKey('SlaBreached', SearchAttributeType.BOOL);

export const TICKET_SEARCH_ATTRIBUTES = [
  TicketStatusKey,
  TicketPriorityKey,
  TicketTeamKey,
  TicketDepartmentKey,
  TicketAssigneeKey,
  SlaBreachedKey,
] as const;
