import { error } from '@sveltejs/kit';
import type { AuditEntry } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { readOnly } = await event.parent();
	if (readOnly) error(403, { message: 'The audit log is for administrators.', code: 'FORBIDDEN' });
	const params = event.url.searchParams;
	const filters = {
		entity: (params.get('entity') ?? '').trim().slice(0, 48),
		entityId: (params.get('entityId') ?? '').trim().slice(0, 64),
		actorId: /^\d+$/.test(params.get('actorId') ?? '') ? params.get('actorId')! : ''
	};
	const requested = Number(params.get('page'));
	const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
	const query = new URLSearchParams({ page: String(page), limit: '25' });
	for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
	const { data, pagination } = await api(event).get<AuditEntry[]>(`/admin/audit?${query}`);
	return { filters, entries: data, pagination: pagination ?? { page, limit: 25, total: data.length, totalPages: 1 } };
};
