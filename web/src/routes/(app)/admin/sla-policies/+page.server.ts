import { api } from '$lib/server/session';
import type { DepartmentView } from '../categories/types';
import type { SlaPolicyView } from './types';
import type { PageServerLoad } from './$types';

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
