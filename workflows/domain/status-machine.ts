import type { Actor, Priority, TicketStatus } from './types';

/**
 * The ticket's lifecycle as data: which action is legal from which status, who may
 * take it, what it needs and where it leads. The workflow's update validators, the
 * API's "allowed actions" and the portal's buttons all ask this one module.
 */
export const LIFECYCLE_ACTIONS = [
  'triage',
  'assign',
  'start',
  'wait_on_requester',
  'wait_on_vendor',
  'resume',
  'resolve',
  'close',
  'reopen',
  'cancel',
  'set_priority',
  'transfer',
  'share',
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

export type ActionInputField = 'assigneeId' | 'reason' | 'resolution' | 'priority' | 'teamId' | 'access';

/** Who may act, relative to the ticket. */
type ActorScope = 'requester' | 'owning_team' | 'assignee' | 'admin' | 'system';

export interface TicketFacts {
  status: TicketStatus;
  requesterId: number;
  teamId: number | null;
  assigneeId: number | null;
  /** Members of the owning team (from the configuration snapshot): who may be assigned. */
  teamMemberIds: number[];
  priority?: Priority;
  /** Teams known to the configuration snapshot: where a ticket may be transferred or shared. */
  knownTeamIds?: number[];
  sharedTeamIds?: number[];
}

export interface ActionInput {
  assigneeId?: number;
  reason?: string;
  resolution?: string;
  priority?: Priority;
  teamId?: number;
  access?: 'read' | 'write';
}

interface ActionRule {
  label: string;
  from: readonly TicketStatus[];
  to: (ticket: TicketFacts) => TicketStatus;
  actors: readonly ActorScope[];
  needs: readonly ActionInputField[];
}

const WORKABLE: readonly TicketStatus[] = ['assigned', 'in_progress', 'waiting_on_requester', 'waiting_on_vendor'];
const OPEN_BEFORE_RESOLUTION: readonly TicketStatus[] = ['draft', 'pending_approval', 'new', 'triaged', ...WORKABLE];

const RULES: Record<LifecycleAction, ActionRule> = {
  triage: { label: 'Triage', from: ['new'], to: () => 'triaged', actors: ['owning_team', 'admin'], needs: [] },
  assign: {
    label: 'Assign',
    from: ['new', 'triaged', ...WORKABLE],
    // Reassigning work in progress keeps its status; a first assignment moves it on.
    to: (t) => (t.status === 'new' || t.status === 'triaged' ? 'assigned' : t.status),
    actors: ['owning_team', 'admin'],
    needs: ['assigneeId'],
  },
  start: { label: 'Start work', from: ['assigned'], to: () => 'in_progress', actors: ['assignee', 'owning_team', 'admin'], needs: [] },
  wait_on_requester: {
    label: 'Wait on requester',
    from: ['in_progress'],
    to: () => 'waiting_on_requester',
    actors: ['assignee', 'owning_team', 'admin'],
    needs: ['reason'],
  },
  wait_on_vendor: {
    label: 'Wait on vendor',
    from: ['in_progress'],
    to: () => 'waiting_on_vendor',
    actors: ['assignee', 'owning_team', 'admin'],
    needs: ['reason'],
  },
  resume: {
    label: 'Resume work',
    from: ['waiting_on_requester', 'waiting_on_vendor'],
    to: () => 'in_progress',
    actors: ['assignee', 'owning_team', 'admin'],
    needs: [],
  },
  resolve: { label: 'Resolve', from: WORKABLE, to: () => 'resolved', actors: ['assignee', 'owning_team', 'admin'], needs: ['resolution'] },
  close: { label: 'Close', from: ['resolved'], to: () => 'closed', actors: ['requester', 'owning_team', 'admin', 'system'], needs: [] },
  reopen: {
    label: 'Reopen',
    from: ['resolved'],
    to: (t) => (t.assigneeId !== null ? 'in_progress' : 'new'),
    actors: ['requester', 'owning_team', 'admin'],
    needs: ['reason'],
  },
  cancel: {
    label: 'Cancel',
    from: OPEN_BEFORE_RESOLUTION,
    to: () => 'cancelled',
    actors: ['requester', 'owning_team', 'admin'],
    needs: ['reason'],
  },
  set_priority: {
    label: 'Change priority',
    from: OPEN_BEFORE_RESOLUTION,
    to: (t) => t.status,
    actors: ['owning_team', 'admin', 'system'],
    needs: ['priority', 'reason'],
  },
  transfer: {
    label: 'Transfer',
    from: ['new', 'triaged', ...WORKABLE],
    // A ticket whose assignee stays behind starts over as new at the receiving team.
    to: (t) => t.status,
    actors: ['owning_team', 'admin'],
    needs: ['teamId', 'reason'],
  },
  share: {
    label: 'Share with a team',
    from: ['new', 'triaged', ...WORKABLE, 'resolved'],
    to: (t) => t.status,
    actors: ['owning_team', 'admin'],
    needs: ['teamId', 'access'],
  },
};

export type DecisionError =
  | { code: 'ILLEGAL_TRANSITION'; message: string }
  | { code: 'FORBIDDEN'; message: string }
  | { code: 'VALIDATION_ERROR'; message: string; field: ActionInputField };

export type Decision = { ok: true; to: TicketStatus } | ({ ok: false } & DecisionError);

function actorMatches(scope: ActorScope, ticket: TicketFacts, actor: Actor): boolean {
  switch (scope) {
    case 'system':
      return actor.kind === 'system';
    case 'admin':
      return actor.kind === 'user' && actor.roles.includes('admin');
    case 'requester':
      return actor.kind === 'user' && actor.userId === ticket.requesterId;
    case 'assignee':
      return actor.kind === 'user' && actor.userId !== null && actor.userId === ticket.assigneeId;
    case 'owning_team':
      return (
        actor.kind === 'user' &&
        ticket.teamId !== null &&
        actor.teamIds.includes(ticket.teamId) &&
        (actor.roles.includes('agent') || actor.roles.includes('lead'))
      );
  }
}

export function mayAct(action: LifecycleAction, ticket: TicketFacts, actor: Actor): boolean {
  return RULES[action].actors.some((scope) => actorMatches(scope, ticket, actor));
}

/** Decides one action without changing anything: the update validator and the API's preview both call it. */
export function decide(ticket: TicketFacts, action: LifecycleAction, actor: Actor, input: ActionInput = {}): Decision {
  const rule = RULES[action];
  if (!rule.from.includes(ticket.status)) {
    return { ok: false, code: 'ILLEGAL_TRANSITION', message: `Cannot ${rule.label.toLowerCase()} a ticket that is ${ticket.status}` };
  }
  if (!mayAct(action, ticket, actor)) {
    return { ok: false, code: 'FORBIDDEN', message: `${actor.name} may not ${rule.label.toLowerCase()} this ticket` };
  }
  for (const field of rule.needs) {
    const value = input[field];
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) {
      return { ok: false, code: 'VALIDATION_ERROR', field, message: `${field} is required to ${rule.label.toLowerCase()}` };
    }
  }
  if ((action === 'transfer' || action === 'share') && input.teamId !== undefined) {
    if (ticket.knownTeamIds && !ticket.knownTeamIds.includes(input.teamId)) {
      return { ok: false, code: 'VALIDATION_ERROR', field: 'teamId', message: 'There is no such team' };
    }
    if (input.teamId === ticket.teamId) {
      return { ok: false, code: 'VALIDATION_ERROR', field: 'teamId', message: 'The ticket already belongs to this team' };
    }
  }
  if (action === 'set_priority' && input.priority === ticket.priority) {
    return { ok: false, code: 'VALIDATION_ERROR', field: 'priority', message: `The priority is already ${input.priority}` };
  }
  if (action === 'assign' && input.assigneeId !== undefined) {
    if (!ticket.teamMemberIds.includes(input.assigneeId)) {
      return { ok: false, code: 'VALIDATION_ERROR', field: 'assigneeId', message: 'The assignee must be a member of the owning team' };
    }
    if (input.assigneeId === ticket.assigneeId) {
      return { ok: false, code: 'ILLEGAL_TRANSITION', message: 'The ticket is already assigned to this person' };
    }
  }
  return { ok: true, to: rule.to(ticket) };
}

export interface AllowedAction {
  action: LifecycleAction;
  label: string;
  needs: ActionInputField[];
}

/** The actions this actor could take now, in lifecycle order (what the portal renders as buttons). */
export function allowedActions(ticket: TicketFacts, actor: Actor): AllowedAction[] {
  return LIFECYCLE_ACTIONS.filter((action) => {
    const rule = RULES[action];
    return rule.from.includes(ticket.status) && mayAct(action, ticket, actor);
  }).map((action) => ({ action, label: RULES[action].label, needs: [...RULES[action].needs] }));
}

export function isLifecycleAction(value: string): value is LifecycleAction {
  return (LIFECYCLE_ACTIONS as readonly string[]).includes(value);
}

/**
 * Status changes the ticket makes by itself, as a consequence of something else: an
 * approval chain finishing, the team's assignment strategy, the requester answering, an
 * SLA rung. They live here beside the user actions so every status change of a ticket is
 * decided by this one table; only the system actor takes them.
 */
export const SYSTEM_TRANSITIONS = {
  request_approval: { from: ['new'], to: () => 'pending_approval' },
  approval_granted: { from: ['pending_approval'], to: () => 'new' },
  approval_rejected: { from: ['pending_approval'], to: () => 'rejected' },
  auto_assign: { from: ['new', 'triaged'], to: () => 'assigned' },
  // The requester's answer puts the ticket back to work; on a resolved ticket it is a reopen.
  requester_replied: { from: ['waiting_on_requester', 'resolved'], to: (t) => (t.assigneeId !== null ? 'in_progress' : 'new') },
  // An SLA rung hands the ticket to a backup: an unowned ticket becomes assigned, owned work keeps its status.
  escalate_to_backup: {
    from: ['pending_approval', 'new', 'triaged', ...WORKABLE, 'resolved'],
    to: (t) => (t.status === 'new' || t.status === 'triaged' ? 'assigned' : t.status),
  },
} as const satisfies Record<string, { from: readonly TicketStatus[]; to: (ticket: TicketFacts) => TicketStatus }>;
export type SystemTransition = keyof typeof SYSTEM_TRANSITIONS;

/** Decides a system transition; anyone but the system actor is refused. */
export function decideSystem(ticket: TicketFacts, transition: SystemTransition, actor: Actor): Decision {
  const rule = SYSTEM_TRANSITIONS[transition];
  if (actor.kind !== 'system') return { ok: false, code: 'FORBIDDEN', message: `Only the system may ${transition.replace(/_/g, ' ')}` };
  if (!(rule.from as readonly TicketStatus[]).includes(ticket.status)) {
    return { ok: false, code: 'ILLEGAL_TRANSITION', message: `Cannot ${transition.replace(/_/g, ' ')} on a ticket that is ${ticket.status}` };
  }
  return { ok: true, to: rule.to(ticket) };
}
