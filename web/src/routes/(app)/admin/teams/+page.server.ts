import { api } from '$lib/server/session';
import type { CalendarView } from '../calendars/types';
import type { DepartmentView } from '../categories/types';
import type { PageServerLoad } from './$types';

import type { TeamAdminView } from './types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [teams, departments, calendars] = await Promise.all([
		client.get<TeamAdminView[]>('/admin/teams?limit=100'),
		client.get<DepartmentView[]>('/admin/departments?limit=100'),
		client.get<CalendarView[]>('/admin/calendars')
	]);
	// Member names from the directory, one team at a time (the admin list carries ids only).
	const names = new Map<number, string>();
	await Promise.all(
		teams.data.map(async (t) => {
			for (const m of (await client.get<Array<{ id: number; name: string }>>(`/teams/${t.id}/members`)).data) names.set(m.id, m.name);
		})
	);
	return {
		teams: teams.data,
		departments: Object.fromEntries(departments.data.map((d) => [d.id, d.name])),
		calendars: Object.fromEntries(calendars.data.map((c) => [c.id, c.name])),
		names: Object.fromEntries(names)
	};
};
