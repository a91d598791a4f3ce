import { STATUSES, PRIORITIES } from '$domain/types';
import { priorityLabel, statusLabel } from '$lib/labels';
import { businessDuration } from '$lib/time';
import type { Priority, TicketEvent, TicketStatus } from '$contract/types';

/** One timeline entry in words. */
export interface EventLine {
	/** Who acted; null when the line states a fact about the ticket (a missed target, a reminder). */
	who: string | null;
	text: string;
	/** The outcome of an automatic step, shown after the text. */
	result?: string;
	/** The instant something was due, shown in the reader's time zone. */
	due?: string;
	/** What the person wrote with the action. */
	note?: string;
	internal?: boolean;
}

export interface Names {
	person: (id: number) => string;
	team: (id: number) => string;
}

const VERBS: Record<string, string> = {
	created: 'created the ticket',
	triage: 'triaged it',
	start: 'started work',
	wait_on_requester: 'asked the requester for more information',
	wait_on_vendor: 'is waiting on a vendor',
	resume: 'resumed work',
	resolve: 'resolved it',
	close: 'closed it',
	reopen: 'reopened it',
	cancel: 'cancelled it',
	public_reply: 'replied',
	internal_note: 'added an internal note'
};

const ESCALATION_ACTIONS: Record<string, string> = {
	notify_role: 'notification',
	assign_backup: 'hand-over to a backup',
	bump_priority: 'higher priority',
	page_oncall: 'on-call page'
};

const CLOCKS: Record<string, string> = { first_response: 'First response', resolution: 'Resolution' };

type RoutingReason = { kind: 'rule'; ruleName: string } | { kind: 'category_default' } | { kind: 'organisation_default' };

function routingWhy(reason: RoutingReason | undefined): string {
	if (reason?.kind === 'rule') return ` by the rule “${reason.ruleName}”`;
	if (reason?.kind === 'category_default') return " as the category's default team";
	if (reason?.kind === 'organisation_default') return " as the organisation's default team";
	return '';
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function label(token: string): string {
	if ((STATUSES as readonly string[]).includes(token)) return statusLabel(token as TicketStatus);
	if ((PRIORITIES as readonly string[]).includes(token)) return priorityLabel(token as Priority);
	return token;
}

/**
 * The workflow's reason for new SLA due times ("status in_progress → waiting_on_requester",
 * "priority high → medium", "transferred to …") with its status and priority codes in words.
 * Only those known shapes are rewritten: free text from a calendar change stays as written.
 */
export function slaReason(reason: string): string {
	const text = reason
		.replace(/^(status|priority) ([a-z_]+) → ([a-z_]+)/, (_, what: string, a: string, b: string) => `${what} ${label(a)} → ${label(b)}`)
		.replace(/^reopened \(([a-z_]+) → ([a-z_]+)\)/, (_, a: string, b: string) => `reopened (${label(a)} → ${label(b)})`);
	return text.charAt(0).toUpperCase() + text.slice(1);
}

function stepName(data: Record<string, unknown>): string {
	return str(data.stepName) ? `step “${data.stepName}”` : `step ${(num(data.step) ?? 0) + 1}`;
}

function onBehalf(data: Record<string, unknown>, names: Names): string {
	const id = num(data.onBehalfOf);
	return id === undefined ? '' : ` on behalf of ${names.person(id)}`;
}

/** Approval, SLA and escalation events, which the workflow records with structured data rather than a note. */
function describeAutomatic(event: TicketEvent, names: Names): EventLine | undefined {
	const { data } = event;
	const who = event.actorId === null ? null : event.actorName;
	switch (event.type) {
		case 'approval_requested': {
			const steps = Array.isArray(data.steps) ? (data.steps as Array<{ name?: string }>).map((s) => s.name ?? '?') : [];
			return { who: null, text: `Approval needed: ${steps.join(', then ') || 'one step'}` };
		}
		case 'approval_approved':
			return { who, text: `approved ${stepName(data)}${onBehalf(data, names)}`, note: str(data.reason) };
		case 'approval_rejected':
			return { who, text: `rejected ${stepName(data)}${onBehalf(data, names)}`, note: str(data.reason) };
		case 'approval_info_requested':
			return { who, text: `asked the requester for information on ${stepName(data)}${onBehalf(data, names)}`, note: str(data.question) };
		case 'approval_info_answered':
			return { who: null, text: 'The requester answered; the approval step resumes' };
		case 'approval_step_skipped':
			return { who: null, text: `Approval step ${str(data.name) ?? '?'} skipped`, note: str(data.reason) };
		case 'approval_step_escalated':
			return { who: null, text: `Approval step ${str(data.name) ?? '?'} moved up`, note: str(data.reason) };
		case 'approval_delegated':
			return { who, text: `handed ${stepName(data)} to ${names.person(num(data.to) ?? 0)}${onBehalf(data, names)}`, note: str(data.reason) };
		case 'approval_reminder_sent':
			return { who: null, text: `Reminder sent to the approvers of ${stepName(data)}` };
		case 'approval_escalated': {
			const added = Array.isArray(data.addedApprovers) ? (data.addedApprovers as number[]).map(names.person) : [];
			return { who: null, text: `Approval ${stepName(data)} escalated`, result: added.length ? `added ${added.join(', ')}` : 'no manager to add' };
		}
		case 'approved':
			return { who: null, text: 'Approval complete: every step approved' };
		case 'rejected':
			return { who: null, text: 'The request was rejected' };
		case 'sla_started':
			return {
				who: null,
				text: `Service-level clocks set: first response within ${businessDuration(num(data.firstResponseMinutes) ?? 0)}, resolution within ${businessDuration(num(data.resolutionMinutes) ?? 0)} of business time`
			};
		case 'sla_recomputed':
			return { who: null, text: 'Service-level due times recalculated', result: slaReason(str(data.reason) ?? '') };
		case 'sla_breached':
			return { who: null, text: `${CLOCKS[str(data.clock) ?? ''] ?? 'Service-level'} target missed`, due: str(data.dueAt) };
		case 'sla_warning':
			return { who: null, text: `${CLOCKS[str(data.clock) ?? ''] ?? 'Service-level'} target is near`, due: str(data.dueAt) };
		case 'sla_not_applicable':
			return { who: null, text: 'No service-level target applies to this ticket' };
		case 'escalation': {
			const action = str(data.action) ?? '';
			const backup = num(data.assigneeId);
			return {
				who: null,
				text: `Escalation step ${(num(data.step) ?? 0) + 1}: ${ESCALATION_ACTIONS[action] ?? action.replaceAll('_', ' ')}`,
				result: backup !== undefined ? `assigned to ${names.person(backup)}` : str(data.result),
				due: str(data.dueAt)
			};
		}
	}
	return undefined;
}

export function describeEvent(event: TicketEvent, names: Names): EventLine {
	const automatic = describeAutomatic(event, names);
	if (automatic) return automatic;

	const { data } = event;
	const line = (text: string): EventLine => ({
		who: event.actorName,
		text,
		note: str(data.resolution) ?? str(data.reason),
		internal: event.type === 'internal_note'
	});
	switch (event.type) {
		case 'routed':
			return line(`routed it to ${str(data.teamName) ?? 'a team'}${routingWhy(data.reason as RoutingReason | undefined)}`);
		case 'assign':
		case 'auto_assigned': {
			const to = num(data.assigneeId);
			const how = event.type === 'auto_assigned' ? 'assigned it automatically' : 'assigned it';
			return line(to === undefined ? how : `${how} to ${names.person(to)}`);
		}
		case 'set_priority':
			return line(str(data.priority) ? `changed the priority to ${label(data.priority as string)}` : 'changed the priority');
		case 'transfer': {
			const from = str(data.fromTeamName);
			return line(`transferred it${from ? ` from ${from}` : ''} to ${str(data.teamName) ?? 'another team'}`);
		}
		case 'share': {
			const team = num(data.teamId);
			const access = data.access === 'write' ? 'read and work on it' : 'read it';
			return line(`shared it with ${team === undefined ? 'another team' : names.team(team)}, who may ${access}`);
		}
	}
	return line(VERBS[event.type] ?? event.type.replaceAll('_', ' '));
}
