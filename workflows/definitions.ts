import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChainState } from './domain/approvals';
import type { SlaState, SlaSummary } from './domain/sla-clock';
import type { SlaExplanation, SlaStep } from './domain/sla-explain';
import type { ActionInput, LifecycleAction } from './domain/status-machine';
import type { RoutingDecision } from './domain/routing';
import type { Actor, CalendarSnapshot, Channel, ConfigSnapshot, Priority, RequesterProfile, SlaPolicySnapshot, TicketStatus } from './domain/types';

/**
 * The ticket workflow's messages and their types, imported by the workflow, the
 * worker's activities and the API alike so neither side can drift from the other.
 */

export function ticketWorkflowId(number: number): string {
  return `ticket-${number}`;
}

export const TICKET_WORKFLOW_TYPE = 'ticketWorkflow';

export interface TicketDraft {
  title: string;
  description: string;
  categoryId: number;
  priority: Priority;
  channel: Channel;
  customFields: Record<string, unknown>;
}

export interface TicketWorkflowInput {
  number: number;
  draft: TicketDraft;
  requester: RequesterProfile;
  config: ConfigSnapshot;
  /** Present when the workflow continued as new: everything the previous run knew. */
  carried?: TicketState;
  /**
   * Update ids the previous runs handled, newest last (bounded): the server de-duplicates
   * update ids within one run only, so the workflow checks these itself after continue-as-new.
   */
  handledUpdates?: HandledUpdate[];
}

export interface HandledUpdate {
  id: string;
  at: string;
}

/** What a ticket is right now; carried across continue-as-new and answered by `stateQuery`. */
export interface TicketState {
  number: number;
  title: string;
  description: string;
  status: TicketStatus;
  priority: Priority;
  channel: Channel;
  categoryId: number;
  departmentId: number;
  teamId: number | null;
  assigneeId: number | null;
  requesterId: number;
  customFields: Record<string, unknown>;
  routing: RoutingDecision | null;
  /** The sequence number of the last event: the ticket's version for optimistic concurrency. */
  version: number;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  closedAt: string | null;
  /** Added with SLAs and approvals (absent in tickets started before them). */
  sla?: SlaState | null;
  approval?: ChainState | null;
  shares?: TicketShare[];
  firstResponseAt?: string | null;
  /** Set on tickets started after notifications on every change arrived (a patch). */
  notifyOnEvents?: boolean;
  /** Set on tickets started after SLA warnings and breach notices arrived (a patch). */
  slaNotices?: boolean;
  /** Set by the same patch: @mentions in internal notes notify the colleagues named. */
  noteMentions?: boolean;
  /** Set on tickets started after approval timers learned to pause while information is requested (a patch). */
  approvalTimersPause?: boolean;
  /** Every change of the SLA clocks with what they had counted then: the deadline's explanation (absent before explanations). */
  slaSteps?: SlaStep[];
  /**
   * Team memberships an admin or the directory changed since the ticket started (signalled in
   * by the membership fan-out), newest version per team; they replace the start-time snapshot's
   * members and leads. Absent until the first such change.
   */
  teamMemberships?: TeamMembership[];
  /**
   * Calendar versions an admin applied since the ticket started (signalled in by the calendar
   * fan-out), newest per calendar: they replace the start-time snapshot's calendar wherever a
   * team counts on it. Absent until the first such version (and on runs before the patch).
   */
  calendars?: CalendarSnapshot[];
}

export interface TicketShare {
  teamId: number;
  access: 'read' | 'write';
}

export type MessageVisibility = 'public' | 'internal';

export interface TicketEventRecord {
  seq: number;
  type: string;
  actorId: number | null;
  actorName: string;
  fromStatus: TicketStatus | null;
  toStatus: TicketStatus | null;
  data: Record<string, unknown>;
  occurredAt: string;
  /** Internal notes and their events never reach a requester. */
  visibility: MessageVisibility;
}

export interface TicketView extends TicketState {
  workflowId: string;
  /** Version already written to the read tables (equal to `version` once projection caught up). */
  projectedVersion: number;
  recentEvents: TicketEventRecord[];
  slaSummary: { firstResponse: SlaSummary; resolution: SlaSummary } | null;
  /** "Step 2 of 3: Department head · waiting on Carla CFO · 0 of 1 approved". */
  approvalSummary: string | null;
  autoCloseAt: string | null;
}

export interface ActionRequest {
  actor: Actor;
  input: ActionInput;
  /** The version the caller saw; a different current version refuses the action (409). */
  expectedVersion?: number;
}

/** Failure types carried by ApplicationFailure from validators and activities; the API maps them to statuses. */
export enum TicketErrorType {
  IllegalTransition = 'IllegalTransition',
  Forbidden = 'Forbidden',
  InvalidInput = 'InvalidInput',
  StaleVersion = 'StaleVersion',
  /** The client's Idempotency-Key already named a change with another request body. */
  IdempotencyConflict = 'IdempotencyConflict',
}

export interface ApprovalRequest {
  actor: Actor;
  /** The step the caller saw (0-based); a decision made on another step than the current one is refused. */
  step?: number;
  /**
   * The current step's approvers on whose behalf the caller may act, resolved by the API from
   * the live delegations table when the request arrived (and so recorded in history). When
   * present the workflow decides from it instead of the delegations snapshotted at start.
   */
  actingFor?: number[];
  /** Reject needs a reason; request info needs a question; delegate needs a person. */
  reason?: string;
  question?: string;
  toUserId?: number;
}

export interface ReplyRequest {
  actor: Actor;
  body: string;
  visibility: MessageVisibility;
  /** Mentioned people (user ids), resolved by the API. */
  mentions?: number[];
}

/** Custom-field edits: `changes` sets each key, null clears it. The API has checked the values against the category's schema. */
export interface CustomFieldsRequest {
  actor: Actor;
  changes: Record<string, unknown>;
  expectedVersion?: number;
}

/** Sent when an admin applies a published calendar version to open tickets; each ticket on it recomputes its due instants. */
export interface CalendarChanged {
  calendar: CalendarSnapshot;
  reason: string;
}

/** Sent when an admin applies a published SLA policy version to the open tickets on an older version of it. */
export interface SlaPolicyPublished {
  policy: SlaPolicySnapshot;
  reason: string;
}

/** A team's members and leads as the directory holds them now (active people only), at the team's version. */
export interface TeamMembership {
  teamId: number;
  /** The team row's version: a ticket keeps the newest it has seen and ignores older or repeated ones. */
  version: number;
  memberIds: number[];
  /** Leads: who "auto-assign to backup" hands a ticket to. */
  leadIds: number[];
}

/** Sent by the membership fan-out when a team's members, leads or their directory status change. */
export interface TeamMembershipChanged {
  team: TeamMembership;
  reason: string;
}

export const stateQuery = defineQuery<TicketView>('stateQuery');
/** Each change of the due instants with its reason and the business minutes counted, spent and left (null without SLA clocks). */
export const slaExplanationQuery = defineQuery<SlaExplanation | null>('slaExplanationQuery');

/** Answers once the new ticket is routed, assigned and visible in the read tables. */
export const awaitCreatedUpdate = defineUpdate<TicketView>('awaitCreatedUpdate');

export const triageUpdate = defineUpdate<TicketView, [ActionRequest]>('triageUpdate');
export const assignUpdate = defineUpdate<TicketView, [ActionRequest]>('assignUpdate');
export const startUpdate = defineUpdate<TicketView, [ActionRequest]>('startUpdate');
export const waitOnRequesterUpdate = defineUpdate<TicketView, [ActionRequest]>('waitOnRequesterUpdate');
export const waitOnVendorUpdate = defineUpdate<TicketView, [ActionRequest]>('waitOnVendorUpdate');
export const resumeUpdate = defineUpdate<TicketView, [ActionRequest]>('resumeUpdate');
export const resolveUpdate = defineUpdate<TicketView, [ActionRequest]>('resolveUpdate');
export const closeUpdate = defineUpdate<TicketView, [ActionRequest]>('closeUpdate');
export const reopenUpdate = defineUpdate<TicketView, [ActionRequest]>('reopenUpdate');
export const cancelUpdate = defineUpdate<TicketView, [ActionRequest]>('cancelUpdate');
export const setPriorityUpdate = defineUpdate<TicketView, [ActionRequest]>('setPriorityUpdate');
export const transferUpdate = defineUpdate<TicketView, [ActionRequest]>('transferUpdate');
export const shareUpdate = defineUpdate<TicketView, [ActionRequest]>('shareUpdate');

export const approveUpdate = defineUpdate<TicketView, [ApprovalRequest]>('approveUpdate');
export const rejectUpdate = defineUpdate<TicketView, [ApprovalRequest]>('rejectUpdate');
export const requestInfoUpdate = defineUpdate<TicketView, [ApprovalRequest]>('requestInfoUpdate');
export const delegateUpdate = defineUpdate<TicketView, [ApprovalRequest]>('delegateUpdate');

/** Public replies and internal notes: an Update, because the first agent reply stops a clock the caller wants to see stop. */
export const replyUpdate = defineUpdate<TicketView, [ReplyRequest]>('replyUpdate');

/** An Update (not a Signal) so the caller gets the 409 on a stale version and sees the edit once projected. */
export const editCustomFieldsUpdate = defineUpdate<TicketView, [CustomFieldsRequest]>('editCustomFieldsUpdate');

/** Applying a calendar version is fire-and-forget for the admin: a Signal to every open ticket on it, sent by a fan-out workflow. */
export const calendarChangedSignal = defineSignal<[CalendarChanged]>('calendarChangedSignal');
/** Applying a policy version to open tickets: a Signal, sent by a fan-out workflow, to each ticket on an older version. */
export const slaPolicyPublishedSignal = defineSignal<[SlaPolicyPublished]>('slaPolicyPublishedSignal');

/** Fire-and-forget like a calendar edit: the admin's change is saved already; open tickets of the team take it up. */
export const teamMembershipChangedSignal = defineSignal<[TeamMembershipChanged]>('teamMembershipChangedSignal');

/** Lifecycle actions are Updates, not Signals: the caller needs the validated result (or the 409) synchronously. */
export const lifecycleUpdates = {
  triage: triageUpdate,
  assign: assignUpdate,
  start: startUpdate,
  wait_on_requester: waitOnRequesterUpdate,
  wait_on_vendor: waitOnVendorUpdate,
  resume: resumeUpdate,
  resolve: resolveUpdate,
  close: closeUpdate,
  reopen: reopenUpdate,
  cancel: cancelUpdate,
  set_priority: setPriorityUpdate,
  transfer: transferUpdate,
  share: shareUpdate,
} as const satisfies Record<LifecycleAction, unknown>;

/** Inputs and results of activities, shared by the workflow (through `import type`) and the worker. */
export interface ProjectionBatch {
  ticket: TicketState;
  workflowId: string;
  events: TicketEventRecord[];
}

export interface NotifyInput {
  /** Stable id: the same notification asked for twice is delivered once. */
  id: string;
  ticketNumber: number;
  kind: string;
  title: string;
  body: string;
  recipients: { userIds?: number[]; role?: string; departmentId?: number; teamId?: number | null };
  /** Who caused it, so nobody (a watcher included) hears of their own action; absent on older inputs. */
  actorId?: number | null;
}

export interface PageOnCallInput {
  id: string;
  ticketNumber: number;
  teamId: number | null;
  message: string;
}

export interface ChooseAssigneeInput {
  ticketNumber: number;
  /** Identifies this request (ticket:team:version); absent in tickets started before it existed. */
  requestKey?: string;
  teamId: number;
  strategy: 'round_robin' | 'least_loaded';
  candidateIds: number[];
}
