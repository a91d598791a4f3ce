import type { TicketState, TicketWorkflowInput } from './definitions';
import type { Actor } from './domain/types';

/** Behaviour switched on by patches when the ticket started; carried across continue-as-new in the state. */
export interface TicketFeatures {
  sla: boolean;
  notifyOnEvents: boolean;
  slaNotices: boolean;
  approvalTimersPause?: boolean;
}

/** A submitted ticket's state before anything happened to it: new, unrouted, unassigned, version 0. */
export function newTicketState(input: TicketWorkflowInput, now: Date, features: TicketFeatures): TicketState {
  const iso = now.toISOString();
  const { draft } = input;
  return {
    number: input.number,
    title: draft.title,
    description: draft.description,
    status: 'new',
    priority: draft.priority,
    channel: draft.channel,
    categoryId: draft.categoryId,
    departmentId: input.config.category.departmentId,
    teamId: null,
    assigneeId: null,
    requesterId: input.requester.id,
    customFields: draft.customFields,
    routing: null,
    version: 0,
    createdAt: iso,
    updatedAt: iso,
    resolvedAt: null,
    closedAt: null,
    ...(features.sla ? { sla: null, approval: null, shares: [], firstResponseAt: null } : {}),
    ...(features.notifyOnEvents ? { notifyOnEvents: true } : {}),
    ...(features.slaNotices ? { slaNotices: true, noteMentions: true } : {}),
    ...(features.approvalTimersPause ? { approvalTimersPause: true } : {}),
  };
}

/** The requester as the actor of the ticket's `created` event. */
export function requesterActor(input: TicketWorkflowInput): Actor {
  return { kind: 'user', userId: input.requester.id, name: input.requester.name, roles: ['requester'], teamIds: [], departmentId: input.requester.departmentId };
}
