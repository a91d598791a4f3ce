import { error, fail, redirect } from '@sveltejs/kit';
import { adminWrite } from '$lib/server/admin';
import { setFlash, takeFlash } from '$lib/server/flash';
import { api } from '$lib/server/session';
import { splitList, type RoutingConditionsView, type RoutingRuleView } from '../rules';
import type { Actions, PageServerLoad } from './$types';

type Named = Array<{ id: number; name: string }>;

export const load: PageServerLoad = async (event) => {
	const isNew = event.params.id === 'new';
	if (!isNew && !/^\d{1,10}$/.test(event.params.id)) error(404, { message: 'No such routing rule', code: 'NOT_FOUND' });
	const client = api(event);
	const [rules, teams, categories, departments] = await Promise.all([
		client.get<RoutingRuleView[]>('/admin/routing-rules?limit=100'),
		client.get<Named>('/teams'),
		client.get<Named>('/admin/categories?limit=100&includeArchived=true'),
		client.get<Named>('/admin/departments?limit=100')
	]);
	const rule = isNew ? null : rules.data.find((r) => String(r.id) === event.params.id);
	if (rule === undefined) error(404, { message: 'No such routing rule', code: 'NOT_FOUND' });
	const pick = (list: Named) => list.map(({ id, name }) => ({ id, name }));
	return {
		rule,
		// Where a new rule may go: positions are sparse (10, 20…), so a place is offered by neighbour, not by number.
		order: [...rules.data].sort((a, b) => a.position - b.position).map(({ name, position }) => ({ name, position })),
		teams: pick(teams.data),
		categories: pick(categories.data),
		departments: pick(departments.data),
		notice: takeFlash(event.cookies, event.url)
	};
};

const ids = (data: FormData, name: string) =>
	data
		.getAll(name)
		.map(String)
		.filter((v) => /^\d{1,10}$/.test(v))
		.map(Number);

/** The form's inputs as the API's rule: a condition left empty is not stated at all (an empty list would be refused). */
function ruleOf(data: FormData) {
	const conditions: RoutingConditionsView = {};
	const categoryIds = ids(data, 'categoryIds');
	const departmentIds = ids(data, 'requesterDepartmentIds');
	const keywords = splitList(String(data.get('keywords') ?? ''));
	const locations = splitList(String(data.get('requesterLocations') ?? ''));
	const vip = String(data.get('vip') ?? '');
	if (categoryIds.length) conditions.categoryIds = categoryIds;
	if (keywords.length) conditions.keywords = keywords;
	if (departmentIds.length) conditions.requesterDepartmentIds = departmentIds;
	if (locations.length) conditions.requesterLocations = locations;
	if (vip === 'true' || vip === 'false') conditions.vip = vip === 'true';
	const team = String(data.get('teamId') ?? '');
	return { name: String(data.get('name') ?? ''), conditions, teamId: /^\d{1,10}$/.test(team) ? Number(team) : null, enabled: data.get('enabled') === 'on' };
}

export const actions: Actions = {
	save: async (event) => {
		const data = await event.request.formData();
		const rule = ruleOf(data);
		if (event.params.id === 'new') {
			const position = String(data.get('position') ?? '');
			const body = { ...rule, ...(/^\d{1,4}$/.test(position) ? { position: Number(position) } : {}) };
			const result = await adminWrite<RoutingRuleView>(event, 'POST', '/admin/routing-rules', body, { form: 'rule', entity: 'routing_rule' });
			if (!result.ok) return result.failure;
			setFlash(event.cookies, event.url, `Rule created at position ${result.data.position}: new tickets are routed by it from now on.`);
			redirect(303, `/admin/routing/${result.data.id}`);
		}
		const version = Number(data.get('expectedVersion'));
		if (!Number.isInteger(version)) return fail(400, { form: 'rule', conflict: false, message: 'The form could not be read; reload the page and try again.', errors: {} as Record<string, string> });
		const result = await adminWrite(event, 'PUT', `/admin/routing-rules/${event.params.id}`, { ...rule, expectedVersion: version }, { form: 'rule', entity: 'routing_rule', entityId: event.params.id });
		if (!result.ok) return result.failure;
		return { form: 'rule', saved: 'Saved: new tickets are routed by the rule as it stands now.' };
	},
	remove: async (event) => {
		const version = Number((await event.request.formData()).get('expectedVersion'));
		const result = await adminWrite(event, 'DELETE', `/admin/routing-rules/${event.params.id}?expectedVersion=${version}`, undefined, { form: 'rule', entity: 'routing_rule', entityId: event.params.id });
		if (!result.ok) return result.failure;
		redirect(303, '/admin/routing');
	}
};
