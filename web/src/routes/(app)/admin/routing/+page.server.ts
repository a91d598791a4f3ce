import { adminWrite, payloadOf } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export interface RoutingRuleView {
	id: number;
	position: number;
	name: string;
	conditions: { categoryIds?: number[]; keywords?: string[]; requesterDepartmentIds?: number[]; requesterLocations?: string[]; vip?: boolean };
	teamId: number;
	enabled: boolean;
	version: number;
}

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
	order: async (event) => {
		const payload = payloadOf(await event.request.formData(), 'order');
		if (!payload.ok) return payload.failure;
		const result = await adminWrite(event, 'PUT', '/admin/routing-rules/order', payload.value, { form: 'order', entity: 'routing_rule' });
		if (!result.ok) return result.failure;
		return { form: 'order', saved: 'New order saved: the next ticket is routed by the first rule that matches.' };
	}
};
