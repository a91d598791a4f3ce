import { api } from '$lib/server/session';
import type { DepartmentView } from '../categories/types';
import type { PageServerLoad } from './$types';

export interface SlaPolicyView {
	id: number;
	departmentId: number;
	teamId: number | null;
	priority: string;
	firstResponseMinutes: number;
	resolutionMinutes: number;
	clock: string;
	pauseStatuses: string[];
	ladder: Array<{ afterMinutes: number; action: string; role?: string }>;
	version: number;
}

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [policies, departments, teams] = await Promise.all([
		client.get<SlaPolicyView[]>('/admin/sla-policies'),
		client.get<DepartmentView[]>('/admin/departments?limit=100'),
		client.get<Array<{ id: number; name: string }>>('/teams')
	]);
	return {
		policies: policies.data,
		departments: Object.fromEntries(departments.data.map((d) => [d.id, d.name])),
		teams: Object.fromEntries(teams.data.map((t) => [t.id, t.name]))
	};
};
