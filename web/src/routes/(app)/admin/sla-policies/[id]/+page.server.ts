import { error } from '@sveltejs/kit';
import { savePayload } from '$lib/server/admin';
import { applyAction, applyPreview, publishAction } from '$lib/server/admin-versions';
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
		// What "apply to open tickets" would move: open tickets on this policy at an older version.
		preview: await applyPreview(event, 'sla-policies', policy.id),
		department: departments.data.find((d) => d.id === policy.departmentId)?.name ?? `department #${policy.departmentId}`,
		teams: Object.fromEntries(teams.data.map((t) => [t.id, t.name])),
		team: policy.teamId === null ? null : (teams.data.find((t) => t.id === policy.teamId)?.name ?? `team #${policy.teamId}`)
	};
};

export const actions: Actions = {
	save: (event) =>
		savePayload<{ version: number }>(event, 'PUT', `/admin/sla-policies/${event.params.id}`, {
			form: 'policy',
			entity: 'sla_policy',
			entityId: event.params.id,
			saved: ({ version }) =>
				`Draft saved as version ${version}. Publish it for tickets created from now on; open tickets change only when you apply it to them.`
		}),
	publish: (event) => publishAction(event, 'sla-policies'),
	apply: (event) => applyAction(event, 'sla-policies')
};
