import { config } from '$lib/server/config';
import { api } from '$lib/server/session';
import type { Me } from '$lib/types';
import type { LayoutServerLoad } from './$types';

/**
 * Who is signed in, asked of the API once per request: pages that need the person
 * read it through `parent()` rather than asking again.
 */
export const load: LayoutServerLoad = async (event) => {
	const user = event.locals.token ? (await api(event).get<Me>('/me')).data : null;
	return { user, auth: config().auth };
};
