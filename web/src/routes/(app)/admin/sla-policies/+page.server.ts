import { applyAction, applyPreview, publishAction } from '$lib/server/admin-versions';
import { api } from '$lib/server/session';
import type { DepartmentView } from '../categories/types';
import type { SlaPolicyView } from './types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [policies, departments, teams] = await Promise.all([
		client.get<SlaPolicyView[]>('/admin/sla-policies'),
		client.get<DepartmentView[]>('/admin/departments?limit=100'),
		client.get<Array<{ id: number; name: string }>>('/teams')
	]);
	// One policy's "apply to open tickets" preview at a time (?apply=<id>): it reads every open ticket on it.
	const applyId = Number(event.url.searchParams.get('apply'));
	const preview = Number.isInteger(applyId) && applyId > 0 ? await applyPreview(event, 'sla-policies', applyId) : null;
	return {
		preview: preview ? { id: applyId, ...preview } : null,
		policies: policies.data,
		departments: Object.fromEntries(departments.data.map((d) => [d.id, d.name])),
		teams: Object.fromEntries(teams.data.map((t) => [t.id, t.name]))
	};
};

export const actions: Actions = {
	publish: (event) => publishAction(event, 'sla-policies'),
	apply: (event) => applyAction(event, 'sla-policies')
};
