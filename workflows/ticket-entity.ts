import type { RoutingDecision } from './domain/routing';
import { decide, type ActionInput, type LifecycleAction, type TicketFacts } from './domain/status-machine';
import type { Actor, ConfigSnapshot, TicketStatus } from './domain/types';
import { TicketErrorType, type ActionRequest, type TicketEventRecord, type TicketState, type TicketWorkflowInput } from './definitions';

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
} as const;

/**
 * The ticket's state and the events that changed it. Deterministic and free of
 * Temporal APIs: the workflow passes in "now", so this class is unit-testable alone.
 */
export class TicketEntity {
  private unprojected: TicketEventRecord[] = [];
  private recent: TicketEventRecord[] = [];
  projectedVersion: number;

  private constructor(
    readonly state: TicketState,
    readonly config: ConfigSnapshot,
  ) {
    this.projectedVersion = state.version;
  }

  static open(input: TicketWorkflowInput, now: Date): TicketEntity {
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
    entity.record(now, requester, 'created', null, 'new', { title: draft.title, priority: draft.priority, channel: draft.channel });
    return entity;
  }

  /** Rebuilds the entity after continue-as-new; everything already projected stays projected. */
  static resume(carried: TicketState, config: ConfigSnapshot): TicketEntity {
    return new TicketEntity({ ...carried }, config);
  }

  get version(): number {
    return this.state.version;
  }

  teamMemberIds(teamId: number | null): number[] {
    return this.config.teams.find((t) => t.id === teamId)?.memberIds ?? [];
  }

  facts(): TicketFacts {
    const { status, requesterId, teamId, assigneeId } = this.state;
    return { status, requesterId, teamId, assigneeId, teamMemberIds: this.teamMemberIds(teamId) };
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
    if (!decision.ok) {
      throw new ActionRefused(REFUSAL_TYPES[decision.code], decision.message, decision.code === 'VALIDATION_ERROR' ? decision.field : undefined);
    }
  }

  apply(action: LifecycleAction, request: ActionRequest, now: Date): void {
    const decision = decide(this.facts(), action, request.actor, request.input);
    if (!decision.ok) throw new ActionRefused(REFUSAL_TYPES[decision.code], decision.message);
    const from = this.state.status;
    const input: ActionInput = request.input;
    if (action === 'assign' && input.assigneeId !== undefined) {
      this.state.assigneeId = input.assigneeId;
    } else if (action === 'resolve' && this.state.assigneeId === null && request.actor.userId !== null) {
      // Whoever resolves an unowned ticket owns the resolution (and a later reopen).
      this.state.assigneeId = request.actor.userId;
    }
    this.state.status = decision.to;
    if (decision.to === 'resolved') this.state.resolvedAt = now.toISOString();
    if (action === 'reopen') this.state.resolvedAt = null;
    if (decision.to === 'closed' || decision.to === 'cancelled') this.state.closedAt = now.toISOString();
    this.record(now, request.actor, action, from, decision.to, { ...input });
  }

  routeTo(decision: RoutingDecision, now: Date): void {
    this.state.teamId = decision.teamId;
    this.state.routing = decision;
    const team = this.config.teams.find((t) => t.id === decision.teamId);
    this.record(now, null, 'routed', this.state.status, this.state.status, { teamId: decision.teamId, teamName: team?.name ?? null, reason: decision.reason });
  }

  autoAssign(assigneeId: number, strategy: string, now: Date): void {
    const from = this.state.status;
    this.state.assigneeId = assigneeId;
    this.state.status = 'assigned';
    this.record(now, null, 'auto_assigned', from, 'assigned', { assigneeId, strategy });
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

  private record(
    now: Date,
    actor: Actor | null,
    type: string,
    fromStatus: TicketStatus | null,
    toStatus: TicketStatus | null,
    data: Record<string, unknown>,
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
    };
    this.unprojected.push(event);
    // The live view shows the last few changes; the full timeline lives in the read tables.
    this.recent = [...this.recent, event].slice(-10);
  }
}
