import { isHttpError } from '@sveltejs/kit';
import { config } from '$lib/server/config';
import { api } from '$lib/server/session';
import type { Me, NotificationView } from '$contract/types';
import { THEME_COOKIE, themeOf } from '$lib/theme';
import type { LayoutServerLoad } from './$types';

export interface Bell {
	unread: number;
	recent: NotificationView[];
}

/**
 * Who is signed in, asked of the API once per request: pages that need the person
 * read it through `parent()` rather than asking again. The bell's count and latest
 * notifications come along; a bell the API cannot fill leaves the page usable.
 */
export const load: LayoutServerLoad = async (event) => {
	// Reloaded on its own when the live feed says a notification arrived.
	event.depends('app:bell');
	const theme = themeOf(event.cookies.get(THEME_COOKIE));
	if (!event.locals.token) return { user: null, bell: null, auth: config().auth, theme };
	const client = api(event);
	const [{ data: user }, bell] = await Promise.all([
		client.get<Me>('/me'),
		Promise.all([client.get<{ unread: number }>('/notifications/unread-count'), client.get<NotificationView[]>('/notifications?limit=8')]).then(
			([count, recent]): Bell => ({ unread: count.data.unread, recent: recent.data }),
			(err: unknown) => {
				if (isHttpError(err)) return null;
				throw err;
			}
		)
	]);
	return { user, bell, auth: config().auth, theme };
};
