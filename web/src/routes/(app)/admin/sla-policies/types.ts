import type { EscalationStep } from '$domain/sla-clock';

/** `GET /admin/sla-policies` as the console reads it (api/admin/sla-policies.ts). */
export interface SlaPolicyView {
	id: number;
	departmentId: number;
	teamId: number | null;
	priority: string;
	firstResponseMinutes: number;
	resolutionMinutes: number;
	clock: 'business' | '24x7';
	pauseStatuses: string[];
	ladder: EscalationStep[];
	version: number;
	/** The version new tickets get; null until first published. */
	published: { version: number; publishedAt: string; note: string | null } | null;
	unpublishedChanges: boolean;
}

export const minutesText = (m: number) => (m % 1440 === 0 ? `${m / 1440} d` : m % 60 === 0 ? `${m / 60} h` : `${m} min`);

export const ACTION_TEXT: Record<string, string> = { notify_role: 'notify', assign_backup: 'assign to the team lead (backup)', bump_priority: 'raise the priority', page_oncall: 'page on-call' };
