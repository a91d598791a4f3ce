import type { ApprovalRule } from '$domain/approvals';
import type { CustomFieldSpec } from '$contract/types';

/** `GET /admin/categories[/:id]` as the console reads it. */
export interface CategoryAdminView {
	id: number;
	code: string;
	name: string;
	departmentId: number;
	parentId: number | null;
	defaultTeamId: number | null;
	fields: CustomFieldSpec[];
	approvalRule: ApprovalRule | null;
	active: boolean;
	version: number;
}

export interface DepartmentView {
	id: number;
	code: string;
	name: string;
	headUserId: number | null;
	version: number;
}
