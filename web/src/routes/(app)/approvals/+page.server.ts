import { api } from '$lib/server/session';
import type { PendingApproval } from '$contract/types';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 50;

export const load: PageServerLoad = async (event) => {
	const requested = Number(event.url.searchParams.get('page'));
	const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
	// The API lists the oldest waiting step first: the one most likely to be holding someone up.
	const { data: pending, pagination } = await api(event).get<PendingApproval[]>(`/approvals/pending?page=${page}&limit=${PAGE_SIZE}`);
	return { pending, pagination: pagination ?? { page, limit: PAGE_SIZE, total: pending.length, totalPages: 1 } };
};
