import { adminWrite, payloadOf } from '$lib/server/admin';
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

async function save(event: Parameters<Actions[string]>[0], form: 'fields' | 'rule', path: string) {
	const payload = payloadOf(await event.request.formData(), form);
	if (!payload.ok) return payload.failure;
	const result = await adminWrite(event, 'PUT', `/admin/categories/${event.params.id}${path}`, payload.value, { form, entity: 'category', entityId: event.params.id });
	if (!result.ok) return result.failure;
	return { form, saved: form === 'fields' ? 'Fields saved: tickets raised from now on use them.' : 'Approval rule saved: requests raised from now on follow it.' };
}

export const actions: Actions = {
	fields: (event) => save(event, 'fields', '/fields'),
	rule: (event) => save(event, 'rule', '/approval-rule')
};
