import type { ApprovalRule, ApprovalStepRule, ApproverSource } from '$domain/approvals';

/**
 * An approval rule in plain words, as the console shows it beside the editor:
 * "over 5,000: the requester's manager, then the department head, then all of the finance committee".
 */

export interface Names {
	departments: Map<number, string>;
	fieldLabel?: string;
}

const number = (n: number) => n.toLocaleString('en-GB');

function who(source: ApproverSource, names: Names): { text: string; many: boolean } {
	switch (source.kind) {
		case 'requester_manager':
			return { text: "the requester's manager", many: false };
		case 'department_head':
			return { text: source.departmentId ? `the head of ${names.departments.get(source.departmentId) ?? `department #${source.departmentId}`}` : 'the department head', many: false };
		case 'role_in_department':
			return { text: `the ${source.role}s of ${names.departments.get(source.departmentId) ?? `department #${source.departmentId}`}`, many: true };
		case 'users':
			return source.userIds.length === 1 ? { text: `person #${source.userIds[0]}`, many: false } : { text: `people #${source.userIds.join(', #')}`, many: true };
		case 'group':
			return { text: `the ${source.group.replace(/[-_]+/g, ' ')}`, many: true };
	}
}

export function describeStep(step: ApprovalStepRule, names: Names): string {
	const { text, many } = who(step.approvers, names);
	if (!many) return text;
	if (step.mode === 'all') return `all of ${text}`;
	if (step.mode === 'quorum') return `${step.quorum ?? 1} of ${text}`;
	return `any one of ${text}`;
}

const chain = (steps: ApprovalStepRule[], names: Names) => steps.map((s) => describeStep(s, names)).join(', then ');

/** A bound like 5000.01 reads as "over 5,000"; whole numbers read as they are. */
function range(min: number | undefined, below: number | undefined): string {
	const lower = min === undefined ? '' : Number.isInteger(min) ? `${number(min)} or more` : `over ${number(Math.floor(min))}`;
	const upper = below === undefined ? '' : Number.isInteger(below) ? `under ${number(below)}` : `up to ${number(Math.floor(below))}`;
	if (lower && upper) return `${lower} and ${upper}`;
	return lower || upper || 'any value';
}

export function describeRule(rule: ApprovalRule | null, names: Names): string[] {
	if (!rule || rule.kind === 'none') return ['No approval: tickets go straight to the team.'];
	if (rule.kind === 'chain') return [`Always: ${chain(rule.steps, names)}.`];
	const field = names.fieldLabel ?? rule.field;
	return [`Decided by ${field}:`, ...rule.branches.map((b) => `${range(b.min, b.below)}: ${chain(b.steps, names)}.`)];
}
