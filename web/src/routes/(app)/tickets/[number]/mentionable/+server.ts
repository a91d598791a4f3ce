import { error, json } from '@sveltejs/kit';
import { api } from '$lib/server/session';
import type { MentionCandidate } from '$contract/types';
import type { RequestHandler } from './$types';

/** The composer's @mention suggestions, asked of the API with the session's token (the browser never holds it). */
export const GET: RequestHandler = async (event) => {
	if (!/^\d{1,10}$/.test(event.params.number)) error(404, 'Ticket not found');
	const q = (event.url.searchParams.get('q') ?? '').trim().slice(0, 100);
	if (q.length < 1) return json([]);
	const { data } = await api(event).get<MentionCandidate[]>(`/tickets/${event.params.number}/mentionable?q=${encodeURIComponent(q)}`);
	return json(data);
};
