import { json } from '@sveltejs/kit';
import { api } from '$lib/server/session';
import type { PersonRef } from '$contract/types';
import type { RequestHandler } from './$types';

/** The people picker's search, asked of the API with the session's token (the browser never holds it). */
export const GET: RequestHandler = async (event) => {
	const q = (event.url.searchParams.get('q') ?? '').trim().slice(0, 100);
	if (q.length < 2) return json([]);
	const { data } = await api(event).get<PersonRef[]>(`/people?q=${encodeURIComponent(q)}`);
	return json(data);
};
