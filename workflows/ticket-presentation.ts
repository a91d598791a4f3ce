import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { TicketView } from './definitions';
import { endOfWorkingDaysAfter } from './domain/business-time';
import {
  SlaBreachedKey,
  TicketAssigneeKey,
  TicketDepartmentKey,
  TicketPriorityKey,
  TicketStatusKey,
  TicketTeamKey,
} from './search-attributes';
import { approversWaitedOn } from './ticket-approval';
import { teamOf, usableCalendarOf, type TicketSnapshot } from './ticket-model';
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

/** A person's name as the ticket's configuration knows it; the id only when no name was snapshotted. */
export function personName(ticket: TicketSnapshot, userId: number): string {
  return ticket.config.memberNames?.[userId] ?? ticket.config.approval?.names[userId] ?? `user #${userId}`;
}

/**
 * The Markdown "current details" of the workflow: status, owner and approvers by name, the
 * next due instant and what it is for, the SLA versions and why the deadline last moved.
 */
export function describeTicket(ticket: TicketSnapshot, view: TicketView, next: { at: number; what: string } | null = null): string {
  const { state } = ticket;
  const team = teamOf(ticket);
  const lines = [
    `**#${state.number} ${state.title}**`,
    `Status: \`${state.status}\` · Priority: \`${state.priority}\``,
    `Team: ${team ? `${team.name} (${team.code})` : 'unrouted'} · Assignee: ${state.assigneeId === null ? 'nobody' : personName(ticket, state.assigneeId)}`,
  ];
  if (view.approvalSummary && state.status === 'pending_approval') {
    const waitingOn = approversWaitedOn(ticket);
    lines.push(`Approval: ${view.approvalSummary}${waitingOn.length ? ` · waiting on ${waitingOn.join(', ')}` : ''}`);
  }
  if (next) lines.push(`Next due: **${next.what}** at ${new Date(next.at).toISOString()}`);
  if (view.slaSummary) {
    const { firstResponse, resolution } = view.slaSummary;
    lines.push(`First response: ${firstResponse.state}${firstResponse.dueAt ? `, due ${firstResponse.dueAt}` : ''}`);
    lines.push(`Resolution: ${resolution.state}${resolution.dueAt ? `, due ${resolution.dueAt}` : ''}`);
    const sla = state.sla!;
    const calendar = sla.calendar as { name?: string; version?: number; twentyFourSeven?: boolean };
    lines.push(`SLA policy #${sla.policy.id} (${sla.policy.priority}) v${sla.policy.version} · calendar ${calendar.name ?? '24×7'}${calendar.version ? ` v${calendar.version}` : ''}`);
    const last = state.slaSteps?.[state.slaSteps.length - 1];
    if (last) lines.push(`Deadline last changed ${last.at}: ${last.reason}`);
  }
  if (view.autoCloseAt) lines.push(`Closes automatically at ${view.autoCloseAt} unless the requester replies`);
  lines.push(`Version ${state.version}, updated ${state.updatedAt}`);
  return lines.join('\n\n');
}

/** When a resolved ticket closes by itself: the end of the N-th business day of the owning team after resolution. */
export function autoCloseAt(ticket: TicketSnapshot): Date | null {
  const days = ticket.config.autoCloseAfterBusinessDays;
  const { status, resolvedAt } = ticket.state;
  // A malformed setting means "no auto-close", never a failing workflow task.
  if (!days || !Number.isInteger(days) || days < 1 || status !== 'resolved' || !resolvedAt || ticket.state.sla === undefined) return null;
  return endOfWorkingDaysAfter(usableCalendarOf(ticket), new Date(resolvedAt), days);
}
