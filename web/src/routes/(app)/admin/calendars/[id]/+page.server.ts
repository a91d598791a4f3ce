import { error } from '@sveltejs/kit';
import { savePayload } from '$lib/server/admin';
import { applyAction, applyPreview, publishAction } from '$lib/server/admin-versions';
import { api } from '$lib/server/session';
import type { CalendarView } from '../types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [calendars, teams] = await Promise.all([client.get<CalendarView[]>('/admin/calendars'), client.get<Array<{ id: number; name: string }>>('/teams')]);
	const calendar = calendars.data.find((c) => String(c.id) === event.params.id);
	if (!calendar) error(404, { message: 'No such calendar', code: 'NOT_FOUND' });
	return {
		calendar,
		// The impact preview may narrow to one team.
		teams: Object.fromEntries(teams.data.map((t) => [t.id, t.name])),
		preview: await applyPreview(event, 'calendars', calendar.id)
	};
};

export const actions: Actions = {
	// A save is a draft: no ticket sees it until it is published (and, for open tickets, applied).
	save: (event) =>
		savePayload<{ calendar: CalendarView; reason: string }>(event, 'PUT', `/admin/calendars/${event.params.id}`, {
			form: 'calendar',
			entity: 'business_calendar',
			entityId: event.params.id,
			saved: ({ reason }) =>
				`Draft saved (${reason} against the published version). Publish it for new tickets; open tickets change only when you apply it to them.`
		}),
	publish: (event) => publishAction(event, 'calendars'),
	apply: (event) => applyAction(event, 'calendars')
};
