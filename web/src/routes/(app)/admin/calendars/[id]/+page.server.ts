import { error } from '@sveltejs/kit';
import { savePayload } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { CalendarView } from '../types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const calendars = (await api(event).get<CalendarView[]>('/admin/calendars')).data;
	const calendar = calendars.find((c) => String(c.id) === event.params.id);
	if (!calendar) error(404, { message: 'No such calendar', code: 'NOT_FOUND' });
	return { calendar };
};

export const actions: Actions = {
	// The API hands the open tickets to a durable fan-out workflow and answers at once, so the
	// portal can only say the update is under way, not how many tickets took it.
	save: (event) =>
		savePayload<{ calendar: CalendarView; reason: string; fanOut: { workflowId: string } }>(event, 'PUT', `/admin/calendars/${event.params.id}`, {
			form: 'calendar',
			entity: 'business_calendar',
			entityId: event.params.id,
			saved: ({ reason }) => `Saved (${reason}). Open tickets are being updated in the background to recompute their due times.`
		})
};
