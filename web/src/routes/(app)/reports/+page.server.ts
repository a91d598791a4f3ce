import { error } from '@sveltejs/kit';
import { api } from '$lib/server/session';
import { apiQuery, pageQuery, parseFilters } from './filters';
import { REPORT_NAMES, readsReports, type ReportName, type ReportTable } from './reports';
import type { PageServerLoad } from './$types';

interface TeamOption {
	id: number;
	name: string;
	departmentId: number;
}

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	if (!readsReports(user.roles)) error(403, { message: 'Reports are for team leads, managers and administrators.', code: 'FORBIDDEN' });

	const filters = parseFilters(event.url.searchParams);
	const query = apiQuery(filters, new Date());
	const client = api(event);
	const [teams, ...tables] = await Promise.all([
		client.get<TeamOption[]>('/teams'),
		...REPORT_NAMES.map((name) => client.get<ReportTable>(`/reports/${name}?${query}`))
	]);

	// Offer only the teams whose figures this person can see (the API scopes the same way).
	const led = new Set(user.teams.filter((t) => t.membership === 'lead').map((t) => t.id));
	const isAdmin = user.roles.includes('admin');
	const department = user.roles.includes('manager') ? user.department?.id : undefined;
	const visibleTeams = teams.data.filter((t) => isAdmin || led.has(t.id) || t.departmentId === department);

	return {
		filters,
		query: pageQuery(filters).toString(),
		teams: visibleTeams.map(({ id, name }) => ({ id, name })),
		reports: Object.fromEntries(tables.map((t) => [t.data.report, t.data])) as Record<ReportName, ReportTable>
	};
};
