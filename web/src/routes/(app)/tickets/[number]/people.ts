import type { TicketDetail, TicketEvent, TicketMessage } from '$contract/types';

/**
 * Names for the user ids a ticket mentions (approvers, delegates, backups). There is no
 * people directory to ask yet, so the names come from what the page already knows: the
 * reader, the requester and assignee, and whoever acted or wrote on the ticket. Anyone
 * else is shown by number.
 */
export function peopleOnTicket(
	ticket: TicketDetail,
	events: TicketEvent[],
	messages: TicketMessage[],
	me: { id: number; name: string }
): (id: number) => string {
	const names = new Map<number, string>([[me.id, me.name]]);
	for (const event of events) if (event.actorId !== null) names.set(event.actorId, event.actorName);
	for (const message of messages) if (message.authorId !== null) names.set(message.authorId, message.authorName);
	if (ticket.requesterName) names.set(ticket.requesterId, ticket.requesterName);
	if (ticket.assigneeId !== null && ticket.assigneeName) names.set(ticket.assigneeId, ticket.assigneeName);
	return (id) => names.get(id) ?? `user #${id}`;
}
