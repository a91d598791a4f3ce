import { error } from '@sveltejs/kit';
import { adminWrite, payloadOf } from '$lib/server/admin';
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
	save: async (event) => {
		const payload = payloadOf(await event.request.formData(), 'calendar');
		if (!payload.ok) return payload.failure;
		// The API hands the open tickets to a durable fan-out workflow and answers at once, so the
		// portal can only say the update is under way, not how many tickets took it.
		const result = await adminWrite<{ calendar: CalendarView; reason: string; fanOut: { workflowId: string } }>(
			event,
			'PUT',
			`/admin/calendars/${event.params.id}`,
			payload.value,
			{ form: 'calendar', entity: 'business_calendar', entityId: event.params.id }
		);
		if (!result.ok) return result.failure;
		const { reason } = result.data;
		return {
			form: 'calendar',
			saved: `Saved (${reason}). Open tickets are being updated in the background to recompute their due times.`
		};
	}
};
