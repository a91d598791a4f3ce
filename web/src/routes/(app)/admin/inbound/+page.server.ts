import { error } from '@sveltejs/kit';
import { api } from '$lib/server/session';
import type { PageServerLoad } from './$types';

export interface InboundView {
	id: number;
	from: string | null;
	to: string | null;
	subject: string | null;
	outcome: string;
	reason: string | null;
	statusCode: number;
	ticketNumber: number | null;
	receivedAt: string;
}

export const load: PageServerLoad = async (event) => {
	const { readOnly } = await event.parent();
	if (readOnly) error(403, { message: 'The inbound email log is for administrators.', code: 'FORBIDDEN' });
	const requested = Number(event.url.searchParams.get('page'));
	const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
	const { data, pagination } = await api(event).get<InboundView[]>(`/admin/inbound-emails?page=${page}&limit=25`);
	return { emails: data, pagination: pagination ?? { page, limit: 25, total: data.length, totalPages: 1 } };
};
