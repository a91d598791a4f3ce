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
		const result = await adminWrite<{ calendar: CalendarView; reason: string; ticketsNotified: number; ticketsNotNotified: number[] }>(
			event,
			'PUT',
			`/admin/calendars/${event.params.id}`,
			payload.value,
			{ form: 'calendar', entity: 'business_calendar', entityId: event.params.id }
		);
		if (!result.ok) return result.failure;
		const { reason, ticketsNotified, ticketsNotNotified } = result.data;
		return {
			form: 'calendar',
			saved: `Saved (${reason}). ${ticketsNotified} open ticket${ticketsNotified === 1 ? '' : 's'} recomputed their due times${ticketsNotNotified.length ? `; ${ticketsNotNotified.length} could not be told yet — save again to retry` : ''}.`
		};
	}
};
