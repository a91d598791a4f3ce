import { error, fail, isHttpError } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { config } from '$lib/server/config';
import { refused } from '$lib/server/forms';
import { api } from '$lib/server/session';
import type { Catalog, LiveTicket, TeamMember, TicketDetail, TicketEvent } from '$lib/types';
import type { Actions, PageServerLoad } from './$types';

function ticketNumber(param: string): number {
	const number = Number(param);
	if (!/^\d+$/.test(param) || !Number.isSafeInteger(number) || number <= 0) error(404, 'Ticket not found');
	return number;
}

function temporalUiLink(workflowId: string): string | null {
	const { url, namespace } = config().temporalUi;
	return url ? `${url}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : null;
}

export const load: PageServerLoad = async (event) => {
	const number = ticketNumber(event.params.number);
	const client = api(event);

	const [{ data: ticket }, { data: events }, live, { data: catalog }] = await Promise.all([
		client.get<TicketDetail>(`/tickets/${number}`),
		client.get<TicketEvent[]>(`/tickets/${number}/events?limit=200`),
		// The ticket's record comes from the read tables; the live view asks its workflow,
		// which may be unreachable (or past retention) without the ticket being any less there.
		client.get<LiveTicket>(`/tickets/${number}/live`).then(
			({ data }) => ({ state: data, problem: null }),
			(err: unknown) => {
				if (isHttpError(err)) return { state: null, problem: err.body.message };
				throw err;
			}
		),
		client.get<Catalog>('/catalog')
	]);

	const canAssign = ticket.allowedActions.some((a) => a.needs.includes('assigneeId'));
	const members =
		canAssign && ticket.teamId !== null
			? await client.get<TeamMember[]>(`/teams/${ticket.teamId}/members`).then(
					({ data }) => data,
					(err: unknown) => {
						if (isHttpError(err)) return [];
						throw err;
					}
				)
			: [];

	return {
		ticket,
		events,
		live,
		members,
		fieldSpecs: catalog.categories.find((c) => c.id === ticket.categoryId)?.fields ?? [],
		temporalUiUrl: temporalUiLink(ticket.workflowId),
		// One key per rendered page: a double click on an action button is one action, not two.
		actionKey: crypto.randomUUID()
	};
};

export const actions: Actions = {
	act: async (event) => {
		const number = ticketNumber(event.params.number);
		const form = await event.request.formData();
		const field = (name: string) => String(form.get(name) ?? '').trim();
		const action = field('action');
		// The API decides which actions exist; the portal only keeps the name to one path segment.
		if (!/^[a-z_]{1,40}$/.test(action)) {
			return fail(400, { action, code: 'VALIDATION_ERROR', message: 'That action does not exist.', errors: {} as Record<string, string> });
		}

		const expectedVersion = Number(field('expectedVersion'));
		const body = {
			...(field('expectedVersion') !== '' && Number.isInteger(expectedVersion) ? { expectedVersion } : {}),
			...(field('assigneeId') ? { assigneeId: Number(field('assigneeId')) } : {}),
			...(field('reason') ? { reason: field('reason') } : {}),
			...(field('resolution') ? { resolution: field('resolution') } : {}),
			...(field('priority') ? { priority: field('priority') } : {}),
			...(field('access') ? { access: field('access') } : {})
		};
		const key = field('actionKey');

		try {
			await api(event).post<TicketDetail>(`/tickets/${number}/actions/${action}`, body, key ? { 'Idempotency-Key': key } : undefined);
		} catch (err) {
			if (err instanceof ApiError && err.status === 404) error(404, { message: err.message, code: err.code });
			if (err instanceof ApiError && err.status < 500) return refused(err, { action });
			throw err;
		}
		return { action, done: true };
	}
};
