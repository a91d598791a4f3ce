import type { NotifyInput, TicketEventRecord, TicketState } from './definitions';

/**
 * Who hears about which change, as notifications with stable ids (ticket, event sequence,
 * recipient group): the activity delivers each once however often it is retried.
 * The actor is never notified of their own action.
 */
const STATUS_WORDS: Record<string, string> = {
  start: 'work has started',
  wait_on_requester: 'the team is waiting for your answer',
  wait_on_vendor: 'the team is waiting on a vendor',
  resume: 'work has resumed',
  resolve: 'it has been resolved',
  close: 'it has been closed',
  reopen: 'it has been reopened',
  cancel: 'it has been cancelled',
  approved: 'it has been approved and goes to the team',
  rejected: 'it has been rejected',
};

export function notificationsFor(event: TicketEventRecord, state: TicketState, context: { needsApproval: boolean }): NotifyInput[] {
  const ticket = `#${state.number} ${state.title}`;
  const base = (kind: string, title: string, body: string, recipients: NotifyInput['recipients'], group: string): NotifyInput => ({
    id: `ticket-${state.number}:event-${event.seq}:${group}`,
    ticketNumber: state.number,
    kind,
    title,
    body,
    recipients,
    actorId: event.actorId,
  });
  const others = (ids: Array<number | null>) => ids.filter((id): id is number => id !== null && id !== event.actorId);
  const notes: NotifyInput[] = [];
  switch (event.type) {
    case 'created':
      notes.push(base('created', `Received: ${ticket}`, 'Your ticket was received. You will hear from us here as it moves.', { userIds: [state.requesterId] }, 'receipt'));
      break;
    case 'routed':
    case 'approved':
    case 'transfer':
      // The team hears of a ticket once it can be worked: after routing, or after approval when it needs one.
      if (event.type === 'approved' || event.type === 'transfer' || !context.needsApproval) {
        notes.push(base('new_ticket', `New ticket for your team: ${ticket}`, `Priority ${state.priority}.`, { role: 'team_member', teamId: state.teamId }, 'team'));
      }
      if (event.type === 'approved') notes.push(base('status_changed', `Update on ${ticket}`, `Your ticket: ${STATUS_WORDS.approved}.`, { userIds: [state.requesterId] }, 'requester'));
      break;
    case 'auto_assigned':
    case 'assign':
      if (state.assigneeId !== null && state.assigneeId !== event.actorId) {
        notes.push(base('assigned', `Assigned to you: ${ticket}`, `Priority ${state.priority}.`, { userIds: [state.assigneeId] }, 'assignee'));
      }
      break;
    case 'sla_warning':
    case 'sla_breached': {
      // Only tickets started with SLA notices (a patch) say anything here; the rest replay as they ran.
      if (!state.slaNotices) break;
      const clock = event.data.clock === 'first_response' ? 'first response' : 'resolution';
      const due = String(event.data.dueAt ?? '');
      const owner: NotifyInput['recipients'] = state.assigneeId !== null ? { userIds: [state.assigneeId] } : { role: 'team_member', teamId: state.teamId };
      if (event.type === 'sla_warning') {
        notes.push(base('sla_warning', `SLA warning: ${ticket}`, `The ${clock} target is due at ${due}.`, owner, 'sla-warning'));
      } else {
        // A breach also goes to the team's leads, who can reassign or step in.
        const recipients = { ...owner, ...(owner.role ? {} : { role: 'team_lead', teamId: state.teamId }) };
        notes.push(base('sla_breached', `SLA breached: ${ticket}`, `The ${clock} target was due at ${due}.`, recipients, 'sla-breach'));
      }
      break;
    }
    case 'public_reply': {
      const toRequester = event.actorId !== state.requesterId;
      const userIds = toRequester ? [state.requesterId] : others([state.assigneeId]);
      if (userIds.length) notes.push(base('public_reply', `New reply on ${ticket}`, String(event.data.body ?? '').slice(0, 500), { userIds }, 'reply'));
      break;
    }
    default: {
      const words = STATUS_WORDS[event.type];
      const userIds = others([state.requesterId]);
      if (words && userIds.length) notes.push(base('status_changed', `Update on ${ticket}`, `Your ticket: ${words}.`, { userIds }, 'requester'));
    }
  }
  const mentions = others(((event.data.mentions as number[] | undefined) ?? []).filter((id) => Number.isInteger(id)));
  if (mentions.length) notes.push(base('mention', `You were mentioned on ${ticket}`, String(event.data.body ?? '').slice(0, 500), { userIds: mentions }, 'mentions'));
  return notes;
}

/**
 * An internal note notifies only the colleagues it @mentions (the API admits only people
 * who may read internal notes); never the requester, never the author.
 */
export function noteMentionNotifications(event: TicketEventRecord, state: TicketState): NotifyInput[] {
  if (event.type !== 'internal_note') return [];
  const mentions = ((event.data.mentions as number[] | undefined) ?? []).filter(
    (id) => Number.isInteger(id) && id !== event.actorId && id !== state.requesterId,
  );
  if (mentions.length === 0) return [];
  return [
    {
      id: `ticket-${state.number}:event-${event.seq}:note-mentions`,
      ticketNumber: state.number,
      kind: 'mention',
      title: `You were mentioned in an internal note on #${state.number} ${state.title}`,
      body: String(event.data.body ?? '').slice(0, 500),
      recipients: { userIds: mentions },
      actorId: event.actorId,
    },
  ];
}
