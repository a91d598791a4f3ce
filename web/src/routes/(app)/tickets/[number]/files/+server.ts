import { error } from '@sveltejs/kit';
import { passThrough } from '$lib/server/passthrough';
import type { RequestHandler } from './$types';

/** Uploads go to the API one file per request (so each file is accepted or refused on its own), streamed. */
export const POST: RequestHandler = async (event) => {
	if (!/^\d{1,12}$/.test(event.params.number)) error(404, 'Ticket not found');
	return passThrough(event, `/tickets/${event.params.number}/attachments`, ['location']);
};
