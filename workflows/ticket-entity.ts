import type { CalendarSnapshot, SlaPolicySnapshot } from './domain/types';
import type { RoutingDecision } from './domain/routing';
import { decide, decideSystem, type LifecycleAction, type SystemTransition, type TicketFacts } from './domain/status-machine';
import { SYSTEM_ACTOR, TERMINAL_STATUSES, type Actor, type ConfigSnapshot, type TicketStatus } from './domain/types';
import {
  TicketErrorType,
  type ActionRequest,
  type ApprovalRequest,
  type ChooseAssigneeInput,
  type CustomFieldsRequest,
  type MessageVisibility,
  type ReplyRequest,
  type TicketEventRecord,
  type TeamMembership,
  type TicketState,
  type TicketWorkflowInput,
} from './definitions';
import { nextApprovalDue, validateApproval, type ApprovalAction } from './ticket-approval';
import { customFieldEdit, validateCustomFieldEdit } from './ticket-custom-fields';
import { approvalOnReply, approvalOnTimer, beginApproval, decideApproval } from './ticket-entity-approval';
import { applyAction } from './ticket-entity-lifecycle';
import { beginSla, changeSla, escalateDue, slaAfterStatus, slaOnCalendar, slaOnPolicyPublished } from './ticket-entity-sla';
import type { TicketWriter } from './ticket-entity-writer';
import { effectOutcome } from './ticket-escalation';
import { ActionRefused, refuse, teamOf, type Effect, type EventDraft, type TicketSnapshot } from './ticket-model';
import { noteMentionNotifications, notificationsFor } from './ticket-notifications';
import { newTicketState, requesterActor, type TicketFeatures } from './ticket-opening';
import { CALENDAR_VERSIONS_KEPT_PATCH } from './ticket-patches';
import { autoCloseAt } from './ticket-presentation';
import { nextSlaDue, slaOnFirstResponse } from './ticket-sla';

export { ActionRefused, refuse, type Effect } from './ticket-model';
export type { TicketFeatures } from './ticket-opening';

/**
 * The ticket: its state, the events that changed it and the effects those call for.
 * The only writer of ticket state and the only producer of effects: the SLA, escalation,
 * approval and custom-field modules read a snapshot and return decisions, which are
 * applied here, every status change through the status machine. Applying SLA/escalation
 * and approval decisions lives in two parts of the entity (ticket-entity-sla.ts,
 * ticket-entity-approval.ts) that write only through the private writer this class hands
 * them. Deterministic and free of Temporal APIs: the workflow passes in "now", so this
 * class is unit-testable alone.
 */
export class TicketEntity implements TicketSnapshot {
  private unprojected: TicketEventRecord[] = [];
  private recent: TicketEventRecord[] = [];
  private queued: Effect[] = [];
  projectedVersion: number;
  /** Set when a (re)routed ticket still needs the team's assignment strategy applied. */
  assignmentPending = false;
  /** Write access for the entity's own parts; never leaves the entity. */
  private readonly writer: TicketWriter;

  private constructor(
    readonly state: TicketState,
    readonly config: ConfigSnapshot,
    since: (patch: string) => boolean,
  ) {
    this.projectedVersion = state.version;
    this.writer = {
      state,
      config,
      facts: () => this.facts(),
      transition: (name) => this.transition(name),
      record: (...args) => this.record(...args),
      recordSystem: (now, event) => this.recordSystem(now, event),
      queue: (effect) => this.queued.push(effect),
      setAssignmentPending: (pending) => (this.assignmentPending = pending),
      since,
    };
  }

  /** `since`: the workflow's patch check (ticket-patches.ts); pure callers take every patch. */
  static open(input: TicketWorkflowInput, now: Date, features: TicketFeatures, since: (patch: string) => boolean = () => true): TicketEntity {
    const entity = new TicketEntity(newTicketState(input, now, features), input.config, since);
    const { draft } = input;
    entity.record(now, requesterActor(input), 'created', null, 'new', { title: draft.title, priority: draft.priority, channel: draft.channel, configVersion: input.config.version });
    return entity;
  }

  /** Rebuilds the entity after continue-as-new; everything already projected stays projected. */
  static resume(carried: TicketState, config: ConfigSnapshot, since: (patch: string) => boolean = () => true): TicketEntity {
    return new TicketEntity({ ...carried }, config, since);
  }

  get version(): number {
    return this.state.version;
  }

  /** Effects queued and not yet run, oldest first. */
  get effects(): readonly Effect[] {
    return this.queued;
  }

  team(teamId: number | null = this.state.teamId) {
    return teamOf(this, teamId);
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

  // ── Opening ────────────────────────────────────────────────────────────────

  routeTo(decision: RoutingDecision, now: Date): void {
    this.state.teamId = decision.teamId;
    this.state.routing = decision;
    const team = this.team(decision.teamId);
    if (team) this.state.departmentId = team.departmentId;
    this.assignmentPending = true;
    this.record(now, null, 'routed', this.state.status, this.state.status, { teamId: decision.teamId, teamName: team?.name ?? null, reason: decision.reason });
  }

  /** Puts the ticket in front of its approvers when its category needs approval. */
  beginApproval(now: Date): void {
    beginApproval(this.writer, now);
  }

  /** Starts the SLA clocks on the current team and priority, or records why there are none. */
  beginSla(now: Date): void {
    beginSla(this.writer, now);
  }

  /** Whether the team's assignment strategy still has to pick someone for this ticket. */
  needsAssignment(): boolean {
    return this.assignmentPending && decideSystem(this.facts(), 'auto_assign', SYSTEM_ACTOR).ok;
  }

  /** What to ask the assignment activity, or null (and nothing pending any more) when the team assigns nobody by itself. */
  assignmentRequest(): ChooseAssigneeInput | null {
    if (!this.needsAssignment()) return null;
    const team = this.team();
    if (!team || team.assignmentStrategy === 'queue' || team.memberIds.length === 0) {
      this.assignmentPending = false;
      return null;
    }
    return {
      ticketNumber: this.state.number,
      requestKey: `${this.state.number}:${team.id}:${this.version}`,
      teamId: team.id,
      strategy: team.assignmentStrategy,
      candidateIds: team.memberIds,
    };
  }

  /** The strategy's answer for `teamId`; a transfer accepted meanwhile makes it moot (the new team is asked next). */
  autoAssign(assigneeId: number | null, request: ChooseAssigneeInput, now: Date): void {
    if (this.state.teamId !== request.teamId) return;
    this.assignmentPending = false;
    if (assigneeId === null || !decideSystem(this.facts(), 'auto_assign', SYSTEM_ACTOR).ok) return;
    const from = this.state.status;
    const to = this.transition('auto_assign');
    this.state.assigneeId = assigneeId;
    this.record(now, null, 'auto_assigned', from, to, { assigneeId, strategy: request.strategy });
    slaAfterStatus(this.writer, from, to, now);
  }

  // ── Lifecycle actions ──────────────────────────────────────────────────────

  /** Throws ActionRefused when the action may not happen now; never changes anything. */
  validate(action: LifecycleAction, request: ActionRequest): void {
    checkVersion(this.state.version, request.expectedVersion);
    const decision = decide(this.facts(), action, request.actor, request.input);
    if (!decision.ok) refuse(decision.code, decision.message, decision.code === 'VALIDATION_ERROR' ? decision.field : undefined);
  }

  apply(action: LifecycleAction, request: ActionRequest, now: Date): void {
    applyAction(this.writer, action, request, now);
  }

  // ── Conversation ───────────────────────────────────────────────────────────

  validateReply({ actor, body, visibility }: Pick<ReplyRequest, 'actor' | 'body' | 'visibility'>): void {
    if (this.isTerminal()) refuse('ILLEGAL_TRANSITION', `The ticket is ${this.state.status}; it takes no more messages`);
    if (body.trim() === '') refuse('VALIDATION_ERROR', 'A message needs a body', 'body');
    const isRequester = actor.userId === this.state.requesterId;
    const staff = this.isStaff(actor, 'write');
    if (!isRequester && !staff) refuse('FORBIDDEN', `${actor.name} may not write on this ticket`);
    if (visibility === 'internal' && !staff) refuse('FORBIDDEN', 'Only agents may write internal notes', 'visibility');
  }

  /** A public reply or internal note, and what it means: a first response, the requester answering, an approver's question answered. */
  reply(request: ReplyRequest, now: Date): void {
    this.validateReply(request);
    const { actor, body, visibility } = request;
    const staff = this.isStaff(actor, 'write');
    this.record(now, actor, visibility === 'internal' ? 'internal_note' : 'public_reply', null, null, { body, mentions: request.mentions ?? [] }, visibility);
    if (visibility === 'public' && staff && actor.userId !== this.state.requesterId && !this.state.firstResponseAt) {
      this.state.firstResponseAt = now.toISOString();
      changeSla(this.writer, slaOnFirstResponse(now), now);
    }
    if (actor.userId === this.state.requesterId && visibility === 'public' && decideSystem(this.facts(), 'requester_replied', SYSTEM_ACTOR).ok) {
      const from = this.state.status;
      const to = this.transition('requester_replied');
      if (from === 'resolved') this.state.resolvedAt = null;
      this.record(now, actor, from === 'resolved' ? 'reopen' : 'resume', from, to, { reason: 'requester replied' });
      slaAfterStatus(this.writer, from, to, now, from === 'resolved');
    }
    approvalOnReply(this.writer, actor, visibility, now);
  }

  // ── Approvals ──────────────────────────────────────────────────────────────

  validateApproval(action: ApprovalAction, request: ApprovalRequest, now: Date): void {
    const slot = validateApproval(this, action, request, now);
    // Handing a step to whoever holds it already (an approver to themselves) would change nothing
    // but record a delegation. Checked here, where only the validator asks (it does not run on
    // replay), so a run that once recorded such a delegation replays as it ran.
    const step = this.state.approval?.steps[this.state.approval.current];
    if (action === 'delegate' && typeof slot === 'number' && step && request.toUserId === (step.delegatedTo[slot] ?? slot)) {
      refuse('INVALID', 'That person already holds this step', 'toUserId');
    }
  }

  decideApproval(action: ApprovalAction, request: ApprovalRequest, now: Date): void {
    decideApproval(this.writer, action, request, now);
  }

  // ── Custom fields ──────────────────────────────────────────────────────────

  validateCustomFields(request: CustomFieldsRequest): void {
    validateCustomFieldEdit(this, request);
  }

  editCustomFields(request: CustomFieldsRequest, now: Date): void {
    validateCustomFieldEdit(this, request);
    const edit = customFieldEdit(this.state.customFields, request.changes);
    if (!edit) return;
    this.state.customFields = edit.fields;
    this.record(now, request.actor, edit.event.type, null, null, edit.event.data);
  }

  // ── Organisation changes ───────────────────────────────────────────────────

  /**
   * An admin or the directory changed a team's members or leads: from now on the ticket
   * assigns, escalates to a backup and checks a manual assignee against the team as it is.
   * Only a newer version than the ticket knows applies (the fan-out may repeat a batch, and
   * two changes' fan-outs may overlap). Who is assigned stays: history is not rewritten, and
   * nothing is recorded on the timeline, since the ticket itself did not change.
   */
  teamMembershipChanged(team: TeamMembership): boolean {
    const known = this.team(team.teamId);
    if (!known || team.version <= (known.version ?? -1)) return false;
    const others = (this.state.teamMemberships ?? []).filter((m) => m.teamId !== team.teamId);
    this.state.teamMemberships = [...others, { teamId: team.teamId, version: team.version, memberIds: [...team.memberIds], leadIds: [...team.leadIds] }];
    return true;
  }

  // ── Time ───────────────────────────────────────────────────────────────────

  /**
   * An admin applied a published version of the business calendar the clocks count on. The
   * ticket keeps it (newest per calendar), so whatever counts on that calendar later (a transfer
   * back, auto-close, the approval timers, a priority change) counts on this version too.
   */
  calendarChanged(calendar: CalendarSnapshot, reason: string, now: Date, alwaysRecord = false): void {
    const kept = this.state.calendars?.find((c) => c.code === calendar.code);
    if ((!kept || kept.version < calendar.version) && this.writer.since(CALENDAR_VERSIONS_KEPT_PATCH)) {
      this.state.calendars = [...(this.state.calendars ?? []).filter((c) => c.code !== calendar.code), calendar];
    }
    slaOnCalendar(this.writer, calendar, reason, now, alwaysRecord);
  }

  /** An admin applied a published version of an SLA policy to open tickets. */
  policyPublished(policy: SlaPolicySnapshot, reason: string, now: Date): void {
    slaOnPolicyPublished(this.writer, policy, reason, now);
  }

  /** The next instant something falls due: an SLA point, an approval reminder or escalation, auto-close. */
  nextDueAt(): number | null {
    return this.nextDue()?.at ?? null;
  }

  /** The next due instant and what it is for, in words (Temporal UI's timer summary and current details). */
  nextDue(): { at: number; what: string } | null {
    // Tickets started before SLAs and approvals have no timers at all.
    if (this.state.sla === undefined) return null;
    const closeAt = autoCloseAt(this);
    const candidates = [nextSlaDue(this), nextApprovalDue(this), closeAt ? { at: closeAt.getTime(), what: 'auto-close unless the requester replies' } : null].filter(
      (d): d is { at: number; what: string } => d !== null,
    );
    return candidates.reduce<{ at: number; what: string } | null>((earliest, d) => (earliest === null || d.at < earliest.at ? d : earliest), null);
  }

  /** What a timer firing means: auto-close, approval reminders and escalation, SLA breaches and the ladder. */
  onTimer(now: Date): void {
    const closeAt = autoCloseAt(this);
    if (closeAt && closeAt.getTime() <= now.getTime()) {
      this.apply('close', { actor: SYSTEM_ACTOR, input: { reason: 'auto-closed: no reply from the requester within the business days allowed' } }, now);
      return;
    }
    approvalOnTimer(this.writer, now);
    escalateDue(this.writer, now);
  }

  // ── Effects ────────────────────────────────────────────────────────────────

  /** Takes the oldest effect off the queue once it has run and records an escalation's outcome. */
  completeEffect(effect: Effect, result: string, now: Date): void {
    const index = this.queued.indexOf(effect);
    if (index >= 0) this.queued.splice(index, 1);
    const outcome = effectOutcome(effect, result);
    if (outcome) this.record(now, null, outcome.type, null, null, outcome.data);
  }

  // ── Reading ────────────────────────────────────────────────────────────────

  /** Agents or leads of the owning team, or of a team it is shared with (write access when writing), or an admin. */
  isStaff(actor: Actor, need: 'read' | 'write'): boolean {
    if (actor.kind !== 'user') return false;
    if (actor.roles.includes('admin')) return true;
    if (!actor.roles.includes('agent') && !actor.roles.includes('lead')) return false;
    if (this.state.teamId !== null && actor.teamIds.includes(this.state.teamId)) return true;
    return (this.state.shares ?? []).some((s) => actor.teamIds.includes(s.teamId) && (need === 'read' || s.access === 'write'));
  }

  isTerminal(): boolean {
    return TERMINAL_STATUSES.includes(this.state.status);
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

  // ── Writing ────────────────────────────────────────────────────────────────

  /** A status change the ticket makes by itself, decided by the status machine for the system actor. */
  private transition(name: SystemTransition): TicketStatus {
    const decision = decideSystem(this.facts(), name, SYSTEM_ACTOR);
    // Callers only ask for transitions their own checks allow; a refusal here is a bug, not a user error.
    if (!decision.ok) throw new Error(`status machine refused ${name}: ${decision.message}`);
    this.state.status = decision.to;
    return decision.to;
  }

  private recordSystem(now: Date, event: EventDraft): void {
    this.record(now, null, event.type, null, null, event.data);
  }

  private record(
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
      for (const input of notificationsFor(event, this.state, { needsApproval })) this.queued.push({ kind: 'notify', input });
    } else if (this.state.noteMentions && visibility === 'internal') {
      // Colleagues @mentioned in a note hear of it; the requester never does.
      for (const input of noteMentionNotifications(event, this.state)) this.queued.push({ kind: 'notify', input });
    }
    // The live view shows the last few changes; the full timeline lives in the read tables.
    this.recent = [...this.recent, event].slice(-10);
  }
}

function checkVersion(current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) {
    throw new ActionRefused(TicketErrorType.StaleVersion, `The ticket changed since version ${expected}; it is now at version ${current}`, 'expectedVersion');
  }
}
