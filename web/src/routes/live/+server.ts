import { error } from '@sveltejs/kit';
import { passThrough } from '$lib/server/passthrough';
import type { RequestHandler } from './$types';

/** The API's event stream, relayed with the session's token; the browser's Last-Event-ID goes along on reconnect. */
export const GET: RequestHandler = async (event) => {
	if (!event.locals.token) error(401, 'Sign in first');
	return passThrough(event, '/live', []);
};
