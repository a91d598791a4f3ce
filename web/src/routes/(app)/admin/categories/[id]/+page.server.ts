import { savePayload } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { CategoryAdminView, DepartmentView } from '../types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [category, departments] = await Promise.all([
		client.get<CategoryAdminView>(`/admin/categories/${encodeURIComponent(event.params.id)}`),
		client.get<DepartmentView[]>('/admin/departments?limit=100')
	]);
	return { category: category.data, departments: departments.data };
};

export const actions: Actions = {
	fields: (event) =>
		savePayload(event, 'PUT', `/admin/categories/${event.params.id}/fields`, { form: 'fields', entity: 'category', entityId: event.params.id, saved: 'Fields saved: tickets raised from now on use them.' }),
	rule: (event) =>
		savePayload(event, 'PUT', `/admin/categories/${event.params.id}/approval-rule`, { form: 'rule', entity: 'category', entityId: event.params.id, saved: 'Approval rule saved: requests raised from now on follow it.' })
};
