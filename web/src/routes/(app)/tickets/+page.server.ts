import { fail } from '@sveltejs/kit';
import { PRIORITIES } from '$domain/types';
import { worksQueues } from '$lib/labels';
import { ApiError } from '$lib/server/api';
import { takeFlash } from '$lib/server/flash';
import { refused } from '$lib/server/forms';
import { api } from '$lib/server/session';
import type { BulkResult, Me, SavedFilter, Team, TeamMember, TicketSummary } from '$contract/types';
import { filtersFrom, listHref, toCriteria } from './list-filters';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 20;
const noErrors = {} as Record<string, string>;

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	const params = event.url.searchParams;
	const scope: 'mine' | 'team' = params.get('scope') === 'team' && worksQueues(user) ? 'team' : 'mine';
	const filters = filtersFrom(params);
	const requestedPage = Number(params.get('page'));
	const page = Number.isInteger(requestedPage) && requestedPage > 0 ? requestedPage : 1;

	const query = new URLSearchParams({ scope, page: String(page), limit: String(PAGE_SIZE) });
	if (filters.status.length) query.set('status', filters.status.join(','));
	if (filters.priority.length) query.set('priority', filters.priority.join(','));
	if (filters.q) query.set('q', filters.q);
	if (filters.mine && scope === 'team') query.set('assigneeId', String(user.id));
	if (filters.sort) query.set('sort', filters.sort);

	const client = api(event);
	const [{ data: tickets, pagination }, { data: saved }, { data: teams }, members] = await Promise.all([
		client.get<TicketSummary[]>(`/tickets?${query}`),
		client.get<SavedFilter[]>('/saved-filters'),
		client.get<Team[]>('/teams'),
		// Who a queue's tickets may be given to: the members of each of the viewer's teams.
		scope === 'team'
			? Promise.all(user.teams.map(async (t) => [t.id, (await client.get<TeamMember[]>(`/teams/${t.id}/members`)).data] as const))
			: Promise.resolve([] as Array<readonly [number, TeamMember[]]>)
	]);
	return {
		notice: takeFlash(event.cookies, event.url),
		scope,
		filters,
		tickets,
		saved,
		teams,
		members: Object.fromEntries(members) as Record<number, TeamMember[]>,
		pagination: pagination ?? { page, limit: PAGE_SIZE, total: tickets.length, totalPages: 1 },
		// One key per rendered page and ticket: a double click on a quick change is one change.
		actionKey: crypto.randomUUID()
	};
};

function numberOf(raw: FormDataEntryValue | null): number | null {
	const value = String(raw ?? '');
	return /^\d{1,10}$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

const priorityOf = (raw: FormDataEntryValue | null) => PRIORITIES.find((p) => p === String(raw ?? ''));

export const actions: Actions = {
	/** Saves the filters the list shows now under a name; the same name replaces them. */
	saveFilter: async (event) => {
		const form = await event.request.formData();
		const name = String(form.get('name') ?? '').trim();
		const scope = form.get('scope') === 'team' ? 'team' : 'mine';
		if (!name) return fail(400, { saveFilter: true, code: 'VALIDATION_ERROR', message: 'Give the filter a name.', errors: { name: 'Give the filter a name.' } });
		const filters = filtersFrom(new URLSearchParams(String(form.get('filters') ?? '')));
		try {
			const { data: user } = await api(event).get<Me>('/me');
			await api(event).post<SavedFilter>('/saved-filters', { name, filters: toCriteria(scope, filters, user.id) });
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return refused(err, { saveFilter: true });
			throw err;
		}
		return { saveFilter: true, done: true as const, saved: name, href: listHref(scope, filters) };
	},

	deleteFilter: async (event) => {
		const form = await event.request.formData();
		const id = numberOf(form.get('id'));
		if (id === null) return fail(400, { deleteFilter: true, code: 'VALIDATION_ERROR', message: 'That saved filter does not exist.', errors: noErrors });
		try {
			await api(event).del(`/saved-filters/${id}`);
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return refused(err, { deleteFilter: true });
			throw err;
		}
		return { deleteFilter: true, done: true as const };
	},

	/** One ticket from its row: assign it, or set its priority (with the reason the timeline records). */
	quick: async (event) => {
		const form = await event.request.formData();
		const number = numberOf(form.get('number'));
		const change = String(form.get('change') ?? '');
		const key = String(form.get('actionKey') ?? '');
		if (number === null) return fail(400, { quick: 0, code: 'VALIDATION_ERROR', message: 'That ticket does not exist.', errors: noErrors });
		let body: Record<string, unknown>;
		if (change === 'assign') {
			const assigneeId = numberOf(form.get('assigneeId'));
			if (assigneeId === null) return fail(400, { quick: number, code: 'VALIDATION_ERROR', message: 'Choose someone to assign it to.', errors: { assigneeId: 'Choose someone.' } });
			body = { assigneeId };
		} else if (change === 'set_priority') {
			const priority = priorityOf(form.get('priority'));
			const reason = String(form.get('reason') ?? '').trim();
			if (!priority || !reason) {
				return fail(400, { quick: number, code: 'VALIDATION_ERROR', message: 'Choose a priority and say why.', errors: { ...(priority ? {} : { priority: 'Choose a priority.' }), ...(reason ? {} : { reason: 'Say why the priority changes.' }) } });
			}
			body = { priority, reason };
		} else {
			return fail(400, { quick: number, code: 'VALIDATION_ERROR', message: 'That change does not exist.', errors: noErrors });
		}
		try {
			await api(event).post(`/tickets/${number}/actions/${change}`, body, key ? { 'Idempotency-Key': `${key}:${number}:${change}` } : undefined);
		} catch (err) {
			if (err instanceof ApiError && (err.status < 500 || err.code === 'NOT_CONFIRMED')) return refused(err, { quick: number });
			throw err;
		}
		return { quick: number, done: true as const, change };
	},

	/** The ticked tickets at once; each answers for itself. */
	bulk: async (event) => {
		const form = await event.request.formData();
		const numbers = [...new Set(form.getAll('numbers').map(numberOf).filter((n): n is number => n !== null))];
		const change = String(form.get('change') ?? '');
		if (numbers.length === 0) return fail(400, { bulk: true, code: 'VALIDATION_ERROR', message: 'Tick the tickets to change first.', errors: noErrors });
		let body: Record<string, unknown>;
		if (change === 'assign') {
			const assigneeId = numberOf(form.get('assigneeId'));
			if (assigneeId === null) return fail(400, { bulk: true, code: 'VALIDATION_ERROR', message: 'Choose someone to assign them to.', errors: { assigneeId: 'Choose someone.' } });
			body = { numbers, assigneeId };
		} else if (change === 'set_priority') {
			const priority = priorityOf(form.get('priority'));
			const reason = String(form.get('reason') ?? '').trim();
			if (!priority || !reason) {
				return fail(400, { bulk: true, code: 'VALIDATION_ERROR', message: 'Choose a priority and say why.', errors: { ...(priority ? {} : { priority: 'Choose a priority.' }), ...(reason ? {} : { reason: 'Say why the priority changes.' }) } });
			}
			body = { numbers, priority, reason };
		} else {
			return fail(400, { bulk: true, code: 'VALIDATION_ERROR', message: 'Choose what to change.', errors: { change: 'Choose what to change.' } });
		}
		try {
			const { data } = await api(event).post<BulkResult>(`/tickets/bulk/actions/${change}`, body);
			return { bulk: true, change, outcome: data };
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return refused(err, { bulk: true });
			throw err;
		}
	}
};
