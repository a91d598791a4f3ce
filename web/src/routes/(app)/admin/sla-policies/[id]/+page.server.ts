import { error } from '@sveltejs/kit';
import { savePayload } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { DepartmentView } from '../../categories/types';
import type { SlaPolicyView } from '../types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [policies, departments, teams] = await Promise.all([
		client.get<SlaPolicyView[]>('/admin/sla-policies'),
		client.get<DepartmentView[]>('/admin/departments?limit=100'),
		client.get<Array<{ id: number; name: string }>>('/teams')
	]);
	const policy = policies.data.find((p) => String(p.id) === event.params.id);
	if (!policy) error(404, { message: 'No such SLA policy', code: 'NOT_FOUND' });
	return {
		policy,
		department: departments.data.find((d) => d.id === policy.departmentId)?.name ?? `department #${policy.departmentId}`,
		team: policy.teamId === null ? null : (teams.data.find((t) => t.id === policy.teamId)?.name ?? `team #${policy.teamId}`)
	};
};

export const actions: Actions = {
	save: (event) =>
		savePayload(event, 'PUT', `/admin/sla-policies/${event.params.id}`, {
			form: 'policy',
			entity: 'sla_policy',
			entityId: event.params.id,
			saved: 'Saved: tickets created from now on use these targets and this ladder.'
		})
};
