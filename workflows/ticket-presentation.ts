import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { TicketView } from './definitions';
import { endOfWorkingDaysAfter, validateCalendar, type BusinessCalendar } from './domain/business-time';
import {
  SlaBreachedKey,
  TicketAssigneeKey,
  TicketDepartmentKey,
  TicketPriorityKey,
  TicketStatusKey,
  TicketTeamKey,
} from './search-attributes';
import { teamOf, type TicketSnapshot } from './ticket-model';
import { slaBreached } from './ticket-sla';

/** What ops see of a ticket in Temporal UI: search attributes to filter by, details to read. */
export function ticketSearchAttributes(ticket: TicketSnapshot): SearchAttributeUpdatePair[] {
  const { state, config } = ticket;
  return [
    { key: TicketStatusKey, value: state.status },
    { key: TicketPriorityKey, value: state.priority },
    { key: TicketTeamKey, value: teamOf(ticket)?.code ?? null },
    { key: TicketDepartmentKey, value: config.departmentCodes?.[state.departmentId] ?? config.category.departmentCode },
    { key: TicketAssigneeKey, value: state.assigneeId === null ? null : String(state.assigneeId) },
    { key: SlaBreachedKey, value: slaBreached(ticket) },
  ];
}

/** The Markdown "current details" of the workflow: status, owner, the next due instant, whom it waits on. */
export function describeTicket(ticket: TicketSnapshot, view: TicketView): string {
  const { state } = ticket;
  const team = teamOf(ticket);
  const lines = [
    `**#${state.number} ${state.title}**`,
    `Status: \`${state.status}\` · Priority: \`${state.priority}\``,
    `Team: ${team ? `${team.name} (${team.code})` : 'unrouted'} · Assignee: ${state.assigneeId ?? 'nobody'}`,
  ];
  if (view.approvalSummary && state.status === 'pending_approval') lines.push(`Approval: ${view.approvalSummary}`);
  if (view.slaSummary) {
    const { firstResponse, resolution } = view.slaSummary;
    lines.push(`First response: ${firstResponse.state}${firstResponse.dueAt ? `, due ${firstResponse.dueAt}` : ''}`);
    lines.push(`Resolution: ${resolution.state}${resolution.dueAt ? `, due ${resolution.dueAt}` : ''}`);
  }
  if (view.autoCloseAt) lines.push(`Closes automatically at ${view.autoCloseAt} unless the requester replies`);
  lines.push(`Version ${state.version}, updated ${state.updatedAt}`);
  return lines.join('\n\n');
}

const AROUND_THE_CLOCK: BusinessCalendar = { timeZone: 'UTC', weeklyHours: {}, holidays: [], twentyFourSeven: true };

/** The owning team's calendar when it is usable, else around the clock (for auto-close and approval timers). */
export function usableCalendarOf(ticket: TicketSnapshot): BusinessCalendar {
  const calendar = teamOf(ticket)?.calendar;
  return calendar && validateCalendar(calendar).length === 0 ? calendar : AROUND_THE_CLOCK;
}

/** When a resolved ticket closes by itself: the end of the N-th business day of the owning team after resolution. */
export function autoCloseAt(ticket: TicketSnapshot): Date | null {
  const days = ticket.config.autoCloseAfterBusinessDays;
  const { status, resolvedAt } = ticket.state;
  // A malformed setting means "no auto-close", never a failing workflow task.
  if (!days || !Number.isInteger(days) || days < 1 || status !== 'resolved' || !resolvedAt || ticket.state.sla === undefined) return null;
  return endOfWorkingDaysAfter(usableCalendarOf(ticket), new Date(resolvedAt), days);
}
