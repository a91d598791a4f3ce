import { error, fail } from '@sveltejs/kit';
import { adminWrite } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { CalendarView } from '../../calendars/types';
import type { DepartmentView } from '../../categories/types';
import type { TeamAdminView } from '../types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	if (!/^\d{1,10}$/.test(event.params.id)) error(404, { message: 'No such team', code: 'NOT_FOUND' });
	const client = api(event);
	const [team, members, departments, calendars] = await Promise.all([
		client.get<TeamAdminView>(`/admin/teams/${event.params.id}`),
		client.get<Array<{ id: number; name: string; email?: string }>>(`/teams/${event.params.id}/members`),
		client.get<DepartmentView[]>('/admin/departments?limit=100'),
		client.get<CalendarView[]>('/admin/calendars')
	]);
	return {
		team: team.data,
		names: Object.fromEntries(members.data.map((m) => [m.id, m.name])),
		departments: departments.data.map((d) => ({ id: d.id, name: d.name })),
		calendars: calendars.data.map((c) => ({ id: c.id, name: c.name }))
	};
};

const unreadable = (form: string) => fail(400, { form, conflict: false, message: 'The form could not be read; reload the page and try again.', errors: {} as Record<string, string> });
const formName = (value: FormDataEntryValue | null) => (typeof value === 'string' && /^member-(new|\d{1,10})$/.test(value) ? value : 'member-new');
const idOf = (value: FormDataEntryValue | null) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : null);

/**
 * The team's own settings and each membership are separate forms, but all carry the
 * team's version: a membership change bumps it, so a stale page is refused whichever it sends.
 */
export const actions: Actions = {
	team: async (event) => {
		const data = await event.request.formData();
		const version = idOf(data.get('expectedVersion'));
		if (version === null) return unreadable('team');
		const body = {
			name: String(data.get('name') ?? ''),
			departmentId: idOf(data.get('departmentId')),
			calendarId: idOf(data.get('calendarId')),
			assignmentStrategy: String(data.get('assignmentStrategy') ?? ''),
			expectedVersion: version
		};
		const result = await adminWrite(event, 'PUT', `/admin/teams/${event.params.id}`, body, { form: 'team', entity: 'team', entityId: event.params.id });
		if (!result.ok) return result.failure;
		return { form: 'team', saved: 'Saved: new tickets are routed and assigned with these settings.' };
	},
	member: async (event) => {
		const data = await event.request.formData();
		const form = formName(data.get('form'));
		const version = idOf(data.get('expectedVersion'));
		// The person picker keeps its choice in userId; an existing row sends its own.
		const userId = idOf(data.get('userId'));
		if (version === null) return unreadable(form);
		if (userId === null) return fail(400, { form, conflict: false, message: 'Choose a person to add.', errors: { userId: 'choose a person' } as Record<string, string> });
		const body = { membership: String(data.get('membership') ?? ''), onShift: data.get('onShift') === 'on', expectedVersion: version };
		const result = await adminWrite(event, 'PUT', `/admin/teams/${event.params.id}/members/${userId}`, body, { form, entity: 'team', entityId: event.params.id });
		if (!result.ok) return result.failure;
		return { form, saved: form === 'member-new' ? 'Added to the team.' : 'Membership saved.' };
	},
	remove: async (event) => {
		const data = await event.request.formData();
		const form = formName(data.get('form'));
		const version = idOf(data.get('expectedVersion'));
		const userId = idOf(data.get('userId'));
		if (version === null || userId === null) return unreadable(form);
		const result = await adminWrite(event, 'DELETE', `/admin/teams/${event.params.id}/members/${userId}?expectedVersion=${version}`, undefined, { form, entity: 'team', entityId: event.params.id });
		if (!result.ok) return result.failure;
		return { form: 'members', saved: 'Removed from the team; tickets already assigned to them keep their assignee.' };
	}
};
