import { fail } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { api } from '$lib/server/session';
import type { NotificationView } from '$contract/types';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 25;

export const load: PageServerLoad = async (event) => {
	const requested = Number(event.url.searchParams.get('page'));
	const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
	const unreadOnly = event.url.searchParams.get('unread') === 'true';
	const { data, pagination } = await api(event).get<NotificationView[]>(`/notifications?page=${page}&limit=${PAGE_SIZE}${unreadOnly ? '&unread=true' : ''}`);
	return { notifications: data, unreadOnly, pagination: pagination ?? { page, limit: PAGE_SIZE, total: data.length, totalPages: 1 } };
};

/** Both actions are used by the bell on every page as well as by this page. */
export const actions: Actions = {
	read: async (event) => {
		const id = String((await event.request.formData()).get('id') ?? '');
		if (!id || id.length > 191) return fail(400, { message: 'That notification does not exist.' });
		try {
			await api(event).post(`/notifications/${encodeURIComponent(id)}/read`, {});
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return fail(err.status, { message: 'That notification is no longer there.' });
			throw err;
		}
		return { read: id };
	},
	readAll: async (event) => {
		const { data } = await api(event).post<{ marked: number }>('/notifications/read-all', {});
		return { marked: data.marked };
	}
};
