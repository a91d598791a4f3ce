import { error, fail } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { refused } from '$lib/server/forms';
import { api } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** What /admin/people answers for one person (api/admin/people.ts). */
export interface PersonAdminView {
	id: number;
	email: string;
	name: string;
	title: string | null;
	departmentId: number | null;
	managerId: number | null;
	location: string | null;
	vip: boolean;
	active: boolean;
	roles: string[];
	scimManaged: boolean;
	employeeNumber: string | null;
	version: number;
	department: { id: number; name: string } | null;
	manager: { id: number; name: string } | null;
	teams: Array<{ teamId: number; membership: 'agent' | 'lead' }>;
	readOnlyFields: string[];
}

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	if (!user.roles.includes('admin')) error(403, { message: 'Only administrators manage people.', code: 'FORBIDDEN' });
	const q = event.url.searchParams.get('q') ?? '';
	const id = event.url.searchParams.get('id');
	const client = api(event);
	const [people, selected, teams] = await Promise.all([
		client.get<PersonAdminView[]>(`/admin/people?limit=50${q ? `&q=${encodeURIComponent(q)}` : ''}`),
		id && /^\d{1,10}$/.test(id) ? client.get<PersonAdminView>(`/admin/people/${id}`) : Promise.resolve(null),
		client.get<Array<{ id: number; name: string }>>('/teams')
	]);
	return { q, people: people.data, total: people.pagination?.total ?? people.data.length, selected: selected?.data ?? null, teams: teams.data };
};

const ROLES = ['requester', 'agent', 'lead', 'manager', 'admin'];

export const actions: Actions = {
	save: async (event) => {
		const form = await event.request.formData();
		const field = (name: string) => String(form.get(name) ?? '').trim();
		const id = field('id');
		if (!/^\d{1,10}$/.test(id)) return fail(400, { message: 'That person does not exist.' });
		const readOnly = new Set(field('readOnly').split(',').filter(Boolean));
		const optionalId = (v: string) => (v === '' ? null : Number(v));
		const body: Record<string, unknown> = { expectedVersion: Number(field('version')), vip: form.get('vip') === 'on', roles: ROLES.filter((r) => form.get(`role-${r}`) === 'on') };
		// Fields the identity provider owns are not sent at all: the API would refuse them.
		if (!readOnly.has('departmentId')) body.departmentId = optionalId(field('departmentId'));
		if (!readOnly.has('managerId')) body.managerId = optionalId(field('managerId'));
		if (!readOnly.has('location')) body.location = field('location') || null;
		if (!readOnly.has('active')) body.active = form.get('active') === 'on';
		body.teams = form
			.getAll('team')
			.map(String)
			.filter((t) => /^\d{1,10}$/.test(t))
			.map((teamId) => ({ teamId: Number(teamId), membership: form.get(`lead-${teamId}`) === 'on' ? 'lead' : 'agent' }));
		try {
			await api(event).patch(`/admin/people/${id}`, body);
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return refused(err, { id });
			throw err;
		}
		return { saved: true };
	},
	import: async (event) => {
		const file = (await event.request.formData()).get('file');
		if (!(file instanceof File) || file.size === 0) return fail(400, { message: 'Choose a CSV file to import.' });
		try {
			const { data } = await api(event).post<{ created: number; updated: number; failed: number; rows: Array<{ row: number; email: string | null; outcome: string; errors: Array<{ field: string; message: string }> }> }>('/admin/people/import', { csv: await file.text() });
			return { imported: data };
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return refused(err, {});
			throw err;
		}
	}
};
