import type { ApprovalRule, ApprovalStepRule, ApproverSource } from '$domain/approvals';

/**
 * The approval rule as the structured form edits it. Every approver kind keeps its own
 * inputs, so switching a step from "named people" to "a group" and back loses nothing
 * typed; `toRule` turns the draft into exactly the API's shape, `toDraft` the other way.
 */

export type ApproverKind = ApproverSource['kind'];

export interface StepDraft {
	name: string;
	kind: ApproverKind;
	departmentId: string;
	role: string;
	userIds: string;
	group: string;
	mode: ApprovalStepRule['mode'];
	quorum: number | null;
	remindAfterHours: number | null;
	escalateAfterHours: number | null;
	whenNobodyEligible: '' | 'skip' | 'escalate';
}

export interface BranchDraft {
	min: number | null;
	below: number | null;
	steps: StepDraft[];
}

export interface RuleDraft {
	kind: ApprovalRule['kind'];
	steps: StepDraft[];
	field: string;
	branches: BranchDraft[];
}

export const APPROVER_KINDS: Array<{ kind: ApproverKind; label: string }> = [
	{ kind: 'requester_manager', label: "The requester's manager" },
	{ kind: 'department_head', label: 'A department head' },
	{ kind: 'role_in_department', label: 'People with a role in a department' },
	{ kind: 'users', label: 'Named people' },
	{ kind: 'group', label: 'An approval group' }
];

export const newStep = (name = 'Manager'): StepDraft => ({
	name,
	kind: 'requester_manager',
	departmentId: '',
	role: 'manager',
	userIds: '',
	group: '',
	mode: 'any',
	quorum: null,
	remindAfterHours: null,
	escalateAfterHours: null,
	whenNobodyEligible: ''
});

function stepDraft(step: ApprovalStepRule): StepDraft {
	const a = step.approvers;
	return {
		...newStep(step.name),
		kind: a.kind,
		departmentId: 'departmentId' in a && a.departmentId !== undefined ? String(a.departmentId) : '',
		role: a.kind === 'role_in_department' ? a.role : 'manager',
		userIds: a.kind === 'users' ? a.userIds.join(', ') : '',
		group: a.kind === 'group' ? a.group : '',
		mode: step.mode,
		quorum: step.quorum ?? null,
		remindAfterHours: step.remindAfterHours ?? null,
		escalateAfterHours: step.escalateAfterHours ?? null,
		whenNobodyEligible: step.whenNobodyEligible ?? ''
	};
}

export function toDraft(rule: ApprovalRule | null): RuleDraft {
	const empty: RuleDraft = { kind: 'none', steps: [newStep()], field: '', branches: [{ min: null, below: null, steps: [newStep()] }] };
	if (!rule || rule.kind === 'none') return empty;
	if (rule.kind === 'chain') return { ...empty, kind: 'chain', steps: rule.steps.map(stepDraft) };
	return { ...empty, kind: 'conditional', field: rule.field, branches: rule.branches.map((b) => ({ min: b.min ?? null, below: b.below ?? null, steps: b.steps.map(stepDraft) })) };
}

const numberOrUndefined = (v: number | null | string) => (v === null || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

function approvers(d: StepDraft): ApproverSource {
	const departmentId = numberOrUndefined(d.departmentId);
	switch (d.kind) {
		case 'requester_manager':
			return { kind: 'requester_manager' };
		case 'department_head':
			return departmentId === undefined ? { kind: 'department_head' } : { kind: 'department_head', departmentId };
		case 'role_in_department':
			// An unset department is sent as 0 so the API names the field rather than the whole step.
			return { kind: 'role_in_department', role: d.role, departmentId: departmentId ?? 0 };
		case 'users':
			return {
				kind: 'users',
				userIds: d.userIds
					.split(/[\s,]+/)
					.filter(Boolean)
					.map((s) => Number(s.replace(/^#/, '')))
			};
		case 'group':
			return { kind: 'group', group: d.group.trim() };
	}
}

function toStep(d: StepDraft): ApprovalStepRule {
	const step: ApprovalStepRule = { name: d.name.trim(), approvers: approvers(d), mode: d.mode };
	const quorum = numberOrUndefined(d.quorum);
	const remind = numberOrUndefined(d.remindAfterHours);
	const escalate = numberOrUndefined(d.escalateAfterHours);
	if (d.mode === 'quorum' && quorum !== undefined) step.quorum = quorum;
	if (remind !== undefined) step.remindAfterHours = remind;
	if (escalate !== undefined) step.escalateAfterHours = escalate;
	if (d.whenNobodyEligible) step.whenNobodyEligible = d.whenNobodyEligible;
	return step;
}

export function toRule(d: RuleDraft): ApprovalRule {
	if (d.kind === 'none') return { kind: 'none' };
	if (d.kind === 'chain') return { kind: 'chain', steps: d.steps.map(toStep) };
	return {
		kind: 'conditional',
		field: d.field,
		branches: d.branches.map((b) => {
			const branch: { min?: number; below?: number; steps: ApprovalStepRule[] } = { steps: b.steps.map(toStep) };
			const min = numberOrUndefined(b.min);
			const below = numberOrUndefined(b.below);
			if (min !== undefined) branch.min = min;
			if (below !== undefined) branch.below = below;
			return branch;
		})
	};
}

/** Whether a step's approvers can be several people (so any / all / quorum means something). */
export const isMany = (kind: ApproverKind) => kind === 'role_in_department' || kind === 'users' || kind === 'group';
