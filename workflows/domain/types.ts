import type { ResolvedStep, StandingDelegation, StepAdjustment } from './approvals';
import type { BusinessCalendar } from './business-time';
import type { SlaPolicy } from './sla-clock';

/**
 * The ticket's vocabulary, shared by the workflow, the API and the portal.
 * Plain data only: everything here must be serialisable into workflow history.
 */
export const STATUSES = [
  'draft',
  'pending_approval',
  'new',
  'triaged',
  'assigned',
  'in_progress',
  'waiting_on_requester',
  'waiting_on_vendor',
  'resolved',
  'closed',
  'rejected',
  'cancelled',
] as const;
export type TicketStatus = (typeof STATUSES)[number];

export const TERMINAL_STATUSES: readonly TicketStatus[] = ['closed', 'rejected', 'cancelled'];

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CHANNELS = ['portal', 'email', 'import', 'api'] as const;
export type Channel = (typeof CHANNELS)[number];

export type AssignmentStrategy = 'queue' | 'round_robin' | 'least_loaded';

export type Role = 'requester' | 'agent' | 'manager' | 'lead' | 'admin';


/** Who is acting, as the API authenticated them. `system` is the workflow itself (timers, rules). */
export interface Actor {
  kind: 'user' | 'system';
  userId: number | null;
  name: string;
  roles: Role[];
  teamIds: number[];
  departmentId: number | null;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', userId: null, name: 'System', roles: [], teamIds: [], departmentId: null };

export interface RequesterProfile {
  id: number;
  name: string;
  email: string;
  departmentId: number | null;
  location: string | null;
  vip: boolean;
}

export interface TeamSnapshot {
  id: number;
  code: string;
  name: string;
  departmentId: number;
  departmentCode: string;
  assignmentStrategy: AssignmentStrategy;
  memberIds: number[];
  /** Leads of the team: who "auto-assign to backup" hands a ticket to. Absent in tickets started before SLAs. */
  leadIds?: number[];
  calendar?: CalendarSnapshot;
  /** The team row's version when snapshotted (absent in older snapshots): a membership change at or below it is already in. */
  version?: number;
}

export interface CalendarSnapshot extends BusinessCalendar {
  id: number;
  code: string;
  name: string;
  version: number;
}

export interface SlaPolicySnapshot extends SlaPolicy {
  departmentId: number;
  teamId: number | null;
  /** `24x7` counts every real minute; `business` uses the owning team's calendar. */
  clock: 'business' | '24x7';
}

/** A category's approval chain, resolved to people when the ticket starts. */
export interface ApprovalSnapshot {
  steps: ResolvedStep[];
  /** Each approver's manager: who a timed-out step escalates to. */
  managers: Record<number, number | null>;
  delegations: StandingDelegation[];
  /** Display names of everyone who may appear in the chain. */
  names: Record<number, string>;
  /** Steps the org chart left without an eligible approver, and what the rule did (absent on older snapshots). */
  adjustments?: StepAdjustment[];
}

export interface RoutingConditions {
  categoryIds?: number[];
  /** Matched case-insensitively as whole words against title and description. */
  keywords?: string[];
  requesterDepartmentIds?: number[];
  requesterLocations?: string[];
  vip?: boolean;
}

export interface RoutingRule {
  id: number;
  name: string;
  position: number;
  conditions: RoutingConditions;
  teamId: number;
}

export interface CategorySnapshot {
  id: number;
  code: string;
  name: string;
  departmentId: number;
  departmentCode: string;
  defaultTeamId: number | null;
}

/**
 * The slice of organisation configuration a ticket needs, copied into its workflow
 * when it starts so that later admin edits never change a running ticket's past
 * decisions; `version` makes history say which configuration was used.
 */
export interface ConfigSnapshot {
  version: string;
  category: CategorySnapshot;
  teams: TeamSnapshot[];
  routingRules: RoutingRule[];
  defaultTeamId: number;
  /** The fields below arrived with SLAs and approvals; tickets started earlier lack them. */
  slaPolicies?: SlaPolicySnapshot[];
  approval?: ApprovalSnapshot | null;
  autoCloseAfterBusinessDays?: number;
  /** Department codes by id, for search attributes after a transfer. */
  departmentCodes?: Record<number, string>;
  /** Continue as new once history passes this many events, even before the server suggests it. */
  continueAsNewAfterEvents?: number;
}
