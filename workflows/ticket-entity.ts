import type { RoutingDecision } from './domain/routing';
import { decide, type LifecycleAction, type TicketFacts } from './domain/status-machine';
import type { Actor, ConfigSnapshot, TicketStatus } from './domain/types';
import {
  TicketErrorType,
  type ActionRequest,
  type MessageVisibility,
  type NotifyInput,
  type PageOnCallInput,
  type TicketEventRecord,
  type TicketState,
  type TicketWorkflowInput,
} from './definitions';
import type { EscalationStep } from './domain/sla-clock';
import { noteMentionNotifications, notificationsFor } from './ticket-notifications';
import { slaOnFirstResponse, slaOnPolicyInputs, slaOnStatus } from './ticket-sla';

/** A refused action: the validator throws it, so a refused update leaves no trace in history. */
export class ActionRefused extends Error {
  constructor(
    readonly type: TicketErrorType,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ActionRefused';
  }
}

const REFUSAL_TYPES = {
  ILLEGAL_TRANSITION: TicketErrorType.IllegalTransition,
  FORBIDDEN: TicketErrorType.Forbidden,
  VALIDATION_ERROR: TicketErrorType.InvalidInput,
  ILLEGAL: TicketErrorType.IllegalTransition,
  INVALID: TicketErrorType.InvalidInput,
} as const;

export function refuse(code: keyof typeof REFUSAL_TYPES, message: string, field?: string): never {
  throw new ActionRefused(REFUSAL_TYPES[code], message, field);
}

/** Side effects the workflow runs as activities, then records with their results. */
interface EscalationOrigin {
  escalationStep?: number;
  rung?: EscalationStep;
  dueAt?: string;
}

export type Effect = ({ kind: 'notify'; input: NotifyInput } | { kind: 'page'; input: PageOnCallInput }) & EscalationOrigin;

/**
 * The ticket's state and the events that changed it. Deterministic and free of
 * Temporal APIs: the workflow passes in "now", so this class is unit-testable alone.
 */
export class TicketEntity {
  private unprojected: TicketEventRecord[] = [];
  private recent: TicketEventRecord[] = [];
  readonly effects: Effect[] = [];
  projectedVersion: number;
  /** Set when a (re)routed ticket still needs the team's assignment strategy applied. */
  assignmentPending = false;

  private constructor(
    readonly state: TicketState,
    readonly config: ConfigSnapshot,
  ) {
    this.projectedVersion = state.version;
  }

  static open(input: TicketWorkflowInput, now: Date, features: { sla: boolean; notifyOnEvents: boolean; slaNotices: boolean }): TicketEntity {
    const iso = now.toISOString();
    const { draft } = input;
    const entity = new TicketEntity(
      {
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
      },
      input.config,
    );
    const requester: Actor = {
      kind: 'user',
      userId: input.requester.id,
      name: input.requester.name,
      roles: ['requester'],
      teamIds: [],
      departmentId: input.requester.departmentId,
    };
    entity.record(now, requester, 'created', null, 'new', { title: draft.title, priority: draft.priority, channel: draft.channel, configVersion: input.config.version });
    return entity;
  }

  /** Rebuilds the entity after continue-as-new; everything already projected stays projected. */
  static resume(carried: TicketState, config: ConfigSnapshot): TicketEntity {
    return new TicketEntity({ ...carried }, config);
  }

  get version(): number {
    return this.state.version;
  }

  team(teamId: number | null = this.state.teamId) {
    return this.config.teams.find((t) => t.id === teamId);
  }

  facts(): TicketFacts {
    const { status, requesterId, teamId, assigneeId, priority } = this.state;
    return {
      status,
      requesterId,
      teamId,
      assigneeId,
      priority,
      teamMemberIds: this.team()?.memberIds ?? [],
      knownTeamIds: this.config.teams.map((t) => t.id),
      sharedTeamIds: (this.state.shares ?? []).map((s) => s.teamId),
    };
  }

  /** Throws ActionRefused when the action may not happen now; never changes anything. */
  validate(action: LifecycleAction, request: ActionRequest): void {
    if (request.expectedVersion !== undefined && request.expectedVersion !== this.state.version) {
      throw new ActionRefused(
        TicketErrorType.StaleVersion,
        `The ticket changed since version ${request.expectedVersion}; it is now at version ${this.state.version}`,
        'expectedVersion',
      );
    }
    const decision = decide(this.facts(), action, request.actor, request.input);
    if (!decision.ok) refuse(decision.code, decision.message, decision.code === 'VALIDATION_ERROR' ? decision.field : undefined);
  }

  apply(action: LifecycleAction, request: ActionRequest, now: Date): void {
    // The validator already ran; deciding again here only guards against a state change in between.
    const decision = decide(this.facts(), action, request.actor, request.input);
    if (!decision.ok) refuse(decision.code, decision.message, decision.code === 'VALIDATION_ERROR' ? decision.field : undefined);
    const from = this.state.status;
    const previousPriority = this.state.priority;
    const { input, actor } = request;
    let to = decision.to;
    switch (action) {
      case 'assign':
        this.state.assigneeId = input.assigneeId!;
        break;
      case 'resolve':
        // Whoever resolves an unowned ticket owns the resolution (and a later reopen).
        if (this.state.assigneeId === null && actor.userId !== null) this.state.assigneeId = actor.userId;
        break;
      case 'set_priority':
        this.state.priority = input.priority!;
        break;
      case 'transfer': {
        const target = this.team(input.teamId!)!;
        const previous = this.team();
        this.state.teamId = target.id;
        this.state.departmentId = target.departmentId;
        if (this.state.assigneeId !== null && !target.memberIds.includes(this.state.assigneeId)) {
          this.state.assigneeId = null;
          if (from === 'assigned' || from === 'in_progress') to = 'new';
        }
        this.assignmentPending = this.state.assigneeId === null;
        this.record(now, actor, 'transfer', from, to, { ...input, fromTeamId: previous?.id ?? null, fromTeamName: previous?.name ?? null, teamName: target.name });
        this.state.status = to;
        slaOnPolicyInputs(this, `transferred to ${target.name}`, now);
        slaOnStatus(this, from, to, now);
        return;
      }
      case 'share': {
        const shares = (this.state.shares ?? []).filter((s) => s.teamId !== input.teamId);
        this.state.shares = [...shares, { teamId: input.teamId!, access: input.access! }];
        break;
      }
    }
    this.state.status = to;
    if (to === 'resolved') this.state.resolvedAt = now.toISOString();
    if (action === 'reopen') this.state.resolvedAt = null;
    if (to === 'closed' || to === 'cancelled') this.state.closedAt = now.toISOString();
    this.record(now, actor, action, from, to, { ...input });
    if (action === 'set_priority') slaOnPolicyInputs(this, `priority ${previousPriority} → ${input.priority}`, now);
    slaOnStatus(this, from, to, now, action === 'reopen');
  }

  routeTo(decision: RoutingDecision, now: Date): void {
    this.state.teamId = decision.teamId;
    this.state.routing = decision;
    const team = this.team(decision.teamId);
    if (team) this.state.departmentId = team.departmentId;
    this.assignmentPending = true;
    this.record(now, null, 'routed', this.state.status, this.state.status, { teamId: decision.teamId, teamName: team?.name ?? null, reason: decision.reason });
  }

  autoAssign(assigneeId: number | null, strategy: string, now: Date): void {
    this.assignmentPending = false;
    if (assigneeId === null || !['new', 'triaged'].includes(this.state.status)) return;
    const from = this.state.status;
    this.state.assigneeId = assigneeId;
    this.state.status = 'assigned';
    this.record(now, null, 'auto_assigned', from, 'assigned', { assigneeId, strategy });
    slaOnStatus(this, from, 'assigned', now);
  }

  /** Public replies and internal notes, with what a reply means for the ticket. */
  validateReply(actor: Actor, body: string, visibility: MessageVisibility): void {
    if (this.isTerminal()) refuse('ILLEGAL_TRANSITION', `The ticket is ${this.state.status}; it takes no more messages`);
    if (body.trim() === '') refuse('VALIDATION_ERROR', 'A message needs a body', 'body');
    const isRequester = actor.userId === this.state.requesterId;
    const staff = this.isStaff(actor, 'write');
    if (!isRequester && !staff) refuse('FORBIDDEN', `${actor.name} may not write on this ticket`);
    if (visibility === 'internal' && !staff) refuse('FORBIDDEN', 'Only agents may write internal notes', 'visibility');
  }

  reply(actor: Actor, body: string, visibility: MessageVisibility, mentions: number[], now: Date): void {
    const staff = this.isStaff(actor, 'write');
    this.record(now, actor, visibility === 'internal' ? 'internal_note' : 'public_reply', null, null, { body, mentions }, visibility);
    if (visibility === 'public' && staff && actor.userId !== this.state.requesterId && !this.state.firstResponseAt) {
      this.state.firstResponseAt = now.toISOString();
      slaOnFirstResponse(this, now);
    }
    if (actor.userId !== this.state.requesterId || visibility !== 'public') return;
    const from = this.state.status;
    if (from === 'waiting_on_requester' || from === 'resolved') {
      // The requester's answer puts the ticket back to work; on a resolved ticket it is a reopen.
      const to = this.state.assigneeId !== null ? 'in_progress' : 'new';
      this.state.status = to;
      if (from === 'resolved') this.state.resolvedAt = null;
      this.record(now, actor, from === 'resolved' ? 'reopen' : 'resume', from, to, { reason: 'requester replied' });
      slaOnStatus(this, from, to, now, from === 'resolved');
    }
  }

  /** Agents or leads of the owning team, or of a team it is shared with (write access when writing), or an admin. */
  isStaff(actor: Actor, need: 'read' | 'write'): boolean {
    if (actor.kind !== 'user') return false;
    if (actor.roles.includes('admin')) return true;
    if (!actor.roles.includes('agent') && !actor.roles.includes('lead')) return false;
    if (this.state.teamId !== null && actor.teamIds.includes(this.state.teamId)) return true;
    return (this.state.shares ?? []).some((s) => actor.teamIds.includes(s.teamId) && (need === 'read' || s.access === 'write'));
  }

  isTerminal(): boolean {
    const terminal: TicketStatus[] = ['closed', 'rejected', 'cancelled'];
    return terminal.includes(this.state.status);
  }

  hasUnprojected(): boolean {
    return this.unprojected.length > 0;
  }

  /** The changes not yet in the read tables, with the state they lead to. */
  pendingProjection(): { ticket: TicketState; events: TicketEventRecord[] } {
    return { ticket: { ...this.state }, events: [...this.unprojected] };
  }

  markProjected(version: number): void {
    this.unprojected = this.unprojected.filter((e) => e.seq > version);
    this.projectedVersion = Math.max(this.projectedVersion, version);
  }

  recentEvents(): TicketEventRecord[] {
    return [...this.recent];
  }

  record(
    now: Date,
    actor: Actor | null,
    type: string,
    fromStatus: TicketStatus | null,
    toStatus: TicketStatus | null,
    data: Record<string, unknown>,
    visibility: MessageVisibility = 'public',
  ): void {
    this.state.version += 1;
    this.state.updatedAt = now.toISOString();
    const event: TicketEventRecord = {
      seq: this.state.version,
      type,
      actorId: actor?.userId ?? null,
      actorName: actor?.name ?? 'System',
      fromStatus,
      toStatus,
      data,
      occurredAt: now.toISOString(),
      visibility,
    };
    this.unprojected.push(event);
    // Internal notes never notify a requester; everything else tells whoever should know.
    if (this.state.notifyOnEvents && visibility === 'public') {
      const needsApproval = (this.config.approval?.steps.length ?? 0) > 0;
      for (const input of notificationsFor(event, this.state, { needsApproval })) this.effects.push({ kind: 'notify', input });
    } else if (this.state.noteMentions && visibility === 'internal') {
      // Colleagues @mentioned in a note hear of it; the requester never does.
      for (const input of noteMentionNotifications(event, this.state)) this.effects.push({ kind: 'notify', input });
    }
    // The live view shows the last few changes; the full timeline lives in the read tables.
    this.recent = [...this.recent, event].slice(-10);
  }
}
