import type { ChainState, StepDecision, StepState } from '../../workflows/domain/approvals';
import type { SlaSummary } from '../../workflows/domain/sla-clock';
import type { AllowedAction } from '../../workflows/domain/status-machine';
import type { Priority, Role, TicketStatus } from '../../workflows/domain/types';

/** The API's answers as the portal reads them (`/api/v1`, inside the envelope's `data`). */

export type { AllowedAction, ChainState, Priority, Role, SlaSummary, StepDecision, StepState, TicketStatus };

export interface Me {
	id: number;
	email: string;
	name: string;
	roles: Role[];
	department: { id: number; code: string; name: string } | null;
	teams: Array<{ id: number; code: string; name: string; membership: 'agent' | 'lead' }>;
}

export interface Pagination {
	page: number;
	limit: number;
	total: number;
	totalPages: number;
}

export type FieldType = 'text' | 'number' | 'money' | 'date' | 'select' | 'multiselect' | 'user';

export interface CustomFieldSpec {
	key: string;
	label: string;
	type: FieldType;
	required: boolean;
	options?: string[];
	min?: number;
	max?: number;
}

export interface Category {
	id: number;
	code: string;
	name: string;
	departmentId: number;
	departmentName: string;
	parentId: number | null;
	fields: CustomFieldSpec[];
}

export interface Catalog {
	categories: Category[];
	priorities: Priority[];
}

export interface TicketSummary {
	number: number;
	title: string;
	status: TicketStatus;
	priority: Priority;
	categoryId: number;
	categoryName: string | null;
	departmentId: number;
	departmentName: string | null;
	teamId: number | null;
	teamName: string | null;
	assigneeId: number | null;
	assigneeName: string | null;
	requesterId: number;
	requesterName: string | null;
	slaBreached: boolean;
	channel: string;
	createdAt: string;
	updatedAt: string;
	resolvedAt: string | null;
	closedAt: string | null;
	firstResponseDue: string | null;
	resolutionDue: string | null;
	version: number;
}

export type ApprovalDecision = 'approve' | 'reject' | 'request_info' | 'delegate';

export interface TicketDetail extends TicketSummary {
	description: string;
	customFields: Record<string, unknown>;
	workflowId: string;
	allowedActions: AllowedAction[];
	firstResponseAt: string | null;
	/** Both clocks as they stood at the ticket's last change; null when no policy applies. */
	sla: { firstResponse: SlaSummary; resolution: SlaSummary; policyId: number } | null;
	approval: ChainState | null;
	shares: Array<{ teamId: number; access: 'read' | 'write' }>;
	/** What the caller may decide on the current approval step right now. */
	approvalActions: ApprovalDecision[];
	canReply: boolean;
	canWriteInternal: boolean;
	seesInternal: boolean;
}

export interface TicketMessage {
	seq: number;
	authorId: number | null;
	authorName: string;
	visibility: 'public' | 'internal';
	body: string;
	createdAt: string;
}

export interface PendingApproval {
	ticket: TicketSummary;
	step: number;
	stepName: string;
	approverId: number;
	/** The approver this person stands in for as their delegate; null for their own step. */
	onBehalfOf: number | null;
	status: 'pending' | 'waiting_info';
	waitingSince: string | null;
}

export interface Team {
	id: number;
	code: string;
	name: string;
	departmentId: number;
	assignmentStrategy: string;
	/** The IANA zone of the team's business calendar (its working hours, its SLA targets); null without a calendar. */
	timeZone: string | null;
}

export interface TicketEvent {
	seq: number;
	type: string;
	actorId: number | null;
	actorName: string;
	fromStatus: TicketStatus | null;
	toStatus: TicketStatus | null;
	data: Record<string, unknown>;
	occurredAt: string;
}

/** The workflow's own answer to its state Query: what the ticket is right now, inside Temporal. */
export interface LiveTicket {
	workflowId: string;
	runId?: string;
	status: TicketStatus;
	priority: Priority;
	version: number;
	/** The version already written to the read tables; behind `version` while projection catches up. */
	projectedVersion: number;
	teamId: number | null;
	assigneeId: number | null;
	routing: {
		teamId: number;
		reason: { kind: 'rule'; ruleId: number; ruleName: string } | { kind: 'category_default' } | { kind: 'organisation_default' };
	} | null;
	updatedAt: string;
}

export interface TeamMember {
	id: number;
	name: string;
	email: string;
	membership: 'agent' | 'lead';
}

/** One in-portal notification (`GET /notifications`), newest first. */
export interface NotificationView {
	id: string;
	ticketNumber: number | null;
	kind: string;
	title: string;
	body: string;
	createdAt: string;
	readAt: string | null;
}

/** A standing out-of-office delegation (`/approvals/delegations`): dates are whole days, inclusive. */
export interface DelegationView {
	id: number;
	fromUserId: number;
	toUserId: number;
	startsOn: string;
	endsOn: string;
	fromName: string | null;
	toName: string | null;
}

/** One ticket's answer inside a bulk request: its own status and, on refusal, the API's code and words. */
export interface BulkOutcome {
	number: number;
	status: number;
	code?: string;
	message?: string;
}

/** The answer of `POST /tickets/bulk/actions/:action` and `POST /approvals/bulk-approve`. */
export interface BulkResult {
	results: BulkOutcome[];
	succeeded: number;
	failed: number;
}

/** A person as pickers show them (`GET /people?q=`). */
export interface PersonRef {
	id: number;
	name: string;
	email: string;
}

/** A file on a ticket (`GET /tickets/:number/attachments`); only `clean` files can be downloaded. */
export interface AttachmentView {
	id: string;
	ticketNumber: number;
	filename: string;
	contentType: string;
	size: number;
	sha256: string;
	status: 'quarantined' | 'clean' | 'infected' | 'scan_failed';
	scanDetail: string | null;
	scannedAt: string | null;
	visibility: 'public' | 'internal';
	uploadedBy: number;
	source: 'portal' | 'email';
	createdAt: string;
}

/** Someone following a ticket (`GET /tickets/:number/watchers`); non-staff see only their own entry. */
export interface WatcherView {
	userId: number;
	name: string | null;
	reason: string;
	addedBy: number | null;
	createdAt: string;
}

/** The list filters a saved filter keeps: the same names and values as `GET /tickets`'s query. */
export interface SavedFilterCriteria {
	scope?: 'mine' | 'team' | 'all';
	status?: TicketStatus[];
	priority?: Priority[];
	teamId?: number;
	assigneeId?: number;
	q?: string;
	sort?: 'updated_desc' | 'updated_asc' | 'created_desc' | 'created_asc' | 'priority' | 'due';
}

/** One of the caller's saved ticket-list filters (`/saved-filters`); nobody else sees it. */
export interface SavedFilter {
	id: number;
	name: string;
	filters: SavedFilterCriteria;
	createdAt: string;
	updatedAt: string;
}

/** Someone the caller may @mention on a ticket (`GET /tickets/:number/mentionable`): they may see it, and internal notes when `internal`. */
export interface MentionCandidate extends PersonRef {
	internal: boolean;
}
