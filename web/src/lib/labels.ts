import type { Me, Priority, Role, TicketStatus } from '$contract/types';

const STATUS_LABELS: Record<TicketStatus, string> = {
	draft: 'Draft',
	pending_approval: 'Pending approval',
	new: 'New',
	triaged: 'Triaged',
	assigned: 'Assigned',
	in_progress: 'In progress',
	waiting_on_requester: 'Waiting on requester',
	waiting_on_vendor: 'Waiting on vendor',
	resolved: 'Resolved',
	closed: 'Closed',
	rejected: 'Rejected',
	cancelled: 'Cancelled'
};

const PRIORITY_LABELS: Record<Priority, string> = {
	critical: 'Critical',
	high: 'High',
	medium: 'Medium',
	low: 'Low'
};

const ROLE_LABELS: Record<Role, string> = {
	requester: 'Requester',
	agent: 'Agent',
	manager: 'Manager',
	lead: 'Team lead',
	admin: 'Admin'
};

export const statusLabel = (status: TicketStatus): string => STATUS_LABELS[status] ?? status;
export const priorityLabel = (priority: Priority): string => PRIORITY_LABELS[priority] ?? priority;
export const roleLabel = (role: Role): string => ROLE_LABELS[role] ?? role;

/** Agents and leads work team queues; everyone else only follows their own tickets. */
export const worksQueues = (user: Pick<Me, 'roles'>): boolean =>
	user.roles.includes('agent') || user.roles.includes('lead');
