import { fail } from '@sveltejs/kit';
import { adminWrite } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { DepartmentView } from '../categories/types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [departments, teams] = await Promise.all([
		client.get<DepartmentView[]>('/admin/departments?limit=100'),
		client.get<Array<{ id: number; name: string; departmentId: number }>>('/teams')
	]);
	return { departments: departments.data, teams: teams.data };
};

export const actions: Actions = {
	save: async (event) => {
		const data = await event.request.formData();
		const id = String(data.get('id') ?? '');
		const form = `department-${id}`;
		const version = Number(data.get('expectedVersion'));
		// The current head comes first; a person chosen in the picker, if any, replaces them.
		const [current = '', picked = ''] = data.getAll('headUserId').map(String);
		const head = picked || current;
		if (!/^\d+$/.test(id) || !Number.isInteger(version)) return fail(400, { form, conflict: false, message: 'The form could not be read; reload the page.', errors: {} as Record<string, string> });
		const result = await adminWrite(
			event,
			'PUT',
			`/admin/departments/${id}`,
			{ name: String(data.get('name') ?? ''), headUserId: head === '' ? null : Number(head), expectedVersion: version },
			{ form, entity: 'department', entityId: id }
		);
		if (!result.ok) return result.failure;
		return { form, saved: 'Saved.' };
	}
};
