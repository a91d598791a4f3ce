import { PRIORITIES, STATUSES } from '$domain/types';
import { worksQueues } from '$lib/labels';
import { takeFlash } from '$lib/server/flash';
import { api } from '$lib/server/session';
import type { TicketSummary } from '$contract/types';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 20;

function oneOf<T extends string>(allowed: readonly T[], value: string | null): T | '' {
	return allowed.find((candidate) => candidate === value) ?? '';
}

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	const params = event.url.searchParams;

	// Unknown filter values are dropped rather than forwarded, so a hand-edited URL shows a list instead of an error.
	const scope: 'mine' | 'team' = params.get('scope') === 'team' && worksQueues(user) ? 'team' : 'mine';
	const filters = {
		status: oneOf(STATUSES, params.get('status')),
		priority: oneOf(PRIORITIES, params.get('priority')),
		q: params.get('q')?.trim().slice(0, 200) ?? ''
	};
	const requestedPage = Number(params.get('page'));
	const page = Number.isInteger(requestedPage) && requestedPage > 0 ? requestedPage : 1;

	const query = new URLSearchParams({ scope, page: String(page), limit: String(PAGE_SIZE) });
	for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);

	const { data: tickets, pagination } = await api(event).get<TicketSummary[]>(`/tickets?${query}`);
	return {
		notice: takeFlash(event.cookies, event.url),
		scope,
		filters,
		tickets,
		pagination: pagination ?? { page, limit: PAGE_SIZE, total: tickets.length, totalPages: 1 }
	};
};
