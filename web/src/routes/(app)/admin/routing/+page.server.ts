import { savePayload } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { RoutingRuleView } from './rules';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [rules, teams, categories, departments] = await Promise.all([
		client.get<RoutingRuleView[]>('/admin/routing-rules?limit=100'),
		client.get<Array<{ id: number; name: string }>>('/teams'),
		client.get<Array<{ id: number; name: string }>>('/admin/categories?limit=100&includeArchived=true'),
		client.get<Array<{ id: number; name: string }>>('/admin/departments?limit=100')
	]);
	const names = (list: Array<{ id: number; name: string }>) => Object.fromEntries(list.map((x) => [x.id, x.name]));
	return {
		rules: [...rules.data].sort((a, b) => a.position - b.position),
		teams: names(teams.data),
		categories: names(categories.data),
		departments: names(departments.data)
	};
};

export const actions: Actions = {
	order: (event) =>
		savePayload(event, 'PUT', '/admin/routing-rules/order', { form: 'order', entity: 'routing_rule', saved: 'New order saved: the next ticket is routed by the first rule that matches.' })
};
