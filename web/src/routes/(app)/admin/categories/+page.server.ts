import { api } from '$lib/server/session';
import type { CategoryAdminView, DepartmentView } from './types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [categories, departments] = await Promise.all([
		client.get<CategoryAdminView[]>('/admin/categories?limit=100&includeArchived=true'),
		client.get<DepartmentView[]>('/admin/departments?limit=100')
	]);
	return { categories: categories.data, departments: departments.data };
};
