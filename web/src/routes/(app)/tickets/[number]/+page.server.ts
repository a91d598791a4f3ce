import { error, fail, isHttpError, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { config } from '$lib/server/config';
import { setFlash } from '$lib/server/flash';
import { refused } from '$lib/server/forms';
import { latest } from '$lib/server/latest';
import { api } from '$lib/server/session';
import type { ApprovalDecision, AttachmentView, Catalog, LiveTicket, Team, TeamMember, TicketDetail, TicketEvent, TicketMessage, WatcherView } from '$contract/types';
import type { SlaExplanation } from '$domain/sla-explain';
import { readCustomFields } from '../new/custom-fields';
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
	const { user } = await event.parent();

	// Workflow internals (ids, runs, the Temporal UI) are for the people who work tickets and run the system.
	const staff = user.roles.some((r) => r === 'agent' || r === 'lead' || r === 'admin');
	const [{ data: ticket }, timeline, messages, live, { data: catalog }, { data: teams }, { data: attachments }, { data: watchers }, slaExplanation] = await Promise.all([
		client.get<TicketDetail>(`/tickets/${number}`),
		latest<TicketEvent>(client, `/tickets/${number}/events`),
		latest<TicketMessage>(client, `/tickets/${number}/messages`),
		// The ticket's record comes from the read tables; the live view asks its workflow,
		// which may be unreachable (or past retention) without the ticket being any less there.
		staff
			? client.get<LiveTicket>(`/tickets/${number}/live`).then(
					({ data }) => ({ state: data, problem: null }),
					(err: unknown) => {
						if (isHttpError(err)) return { state: null, problem: err.body.message };
						throw err;
					}
				)
			: null,
		client.get<Catalog>('/catalog'),
		// Names the teams a ticket was shared with or may be transferred to.
		client.get<Team[]>('/teams'),
		client.get<AttachmentView[]>(`/tickets/${number}/attachments?limit=200`),
		client.get<WatcherView[]>(`/tickets/${number}/watchers?limit=200`),
		// Why the deadlines are where they are, with the arithmetic; the page stands without it.
		client.get<{ source: 'live' | 'recorded'; explanation: SlaExplanation | null }>(`/tickets/${number}/sla`).then(
			({ data }) => data,
			(err: unknown) => {
				if (isHttpError(err) || err instanceof ApiError) return null;
				throw err;
			}
		)
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
		events: timeline.items,
		eventsTotal: timeline.total,
		messages,
		teams,
		live,
		members,
		attachments,
		watchers,
		slaExplanation,
		fieldSpecs: catalog.categories.find((c) => c.id === ticket.categoryId)?.fields ?? [],
		temporalUiUrl: staff ? temporalUiLink(ticket.workflowId) : null,
		// One key per rendered page: a double click on an action button is one action, not two.
		actionKey: crypto.randomUUID()
	};
};

/**
 * Sends one write for a form. Refused input comes back as the form's result (with `extra`
 * saying which form it was, and `kept` what the person typed); a ticket that vanished is the 404 page.
 */
async function attempt<E extends Record<string, unknown>, K extends Record<string, unknown>>(send: () => Promise<unknown>, extra: E, kept: K) {
	try {
		await send();
	} catch (err) {
		if (err instanceof ApiError && err.status === 404) error(404, { message: err.message, code: err.code });
		if (err instanceof ApiError && (err.status < 500 || err.code === 'NOT_CONFIRMED')) return refused(err, { ...extra, ...kept });
		throw err;
	}
	return { ...extra, done: true as const };
}

const DECISIONS: readonly ApprovalDecision[] = ['approve', 'reject', 'request_info', 'delegate'];

async function readForm(request: Request) {
	const form = await request.formData();
	const field = (name: string) => String(form.get(name) ?? '').trim();
	const key = field('actionKey');
	return { form, field, headers: key ? { 'Idempotency-Key': key } : undefined };
}

export const actions: Actions = {
	act: async (event) => {
		const number = ticketNumber(event.params.number);
		const { field, headers } = await readForm(event.request);
		const action = field('action');
		// The API decides which actions exist; the portal only keeps the name to one path segment.
		if (!/^[a-z_]{1,40}$/.test(action)) {
			return fail(400, { action, code: 'VALIDATION_ERROR', message: 'That action does not exist.', errors: {} as Record<string, string> });
		}

		const expectedVersion = Number(field('expectedVersion'));
		const body = {
			...(field('expectedVersion') !== '' && Number.isInteger(expectedVersion) ? { expectedVersion } : {}),
			...(field('assigneeId') ? { assigneeId: Number(field('assigneeId')) } : {}),
			...(field('teamId') ? { teamId: Number(field('teamId')) } : {}),
			...(field('reason') ? { reason: field('reason') } : {}),
			...(field('resolution') ? { resolution: field('resolution') } : {}),
			...(field('priority') ? { priority: field('priority') } : {}),
			...(field('access') ? { access: field('access') } : {})
		};
		const outcome = { leftView: false };
		const result = await attempt(
			async () => {
				const { data } = await api(event).post<TicketDetail | { visibleToYou: false }>(`/tickets/${number}/actions/${action}`, body, headers);
				outcome.leftView = 'visibleToYou' in data && data.visibleToYou === false;
			},
			{ action },
			{}
		);
		// Transferred to a team the person is not in: the ticket is out of their sight, and its page would only say "not found".
		if (outcome.leftView) {
			setFlash(event.cookies, event.url, `Ticket #${number} now belongs to another team, so it has left your view.`);
			redirect(303, '/tickets?scope=team');
		}
		return result;
	},

	reply: async (event) => {
		const number = ticketNumber(event.params.number);
		const { form, field, headers } = await readForm(event.request);
		const visibility: 'public' | 'internal' = form.get('internal') ? 'internal' : 'public';
		const body = field('body');
		// A message of only spaces gets past the browser's `required`; say so in words rather than in the schema's.
		if (!body) {
			return fail(400, { reply: visibility, body, code: 'VALIDATION_ERROR', message: 'Write a message first.', errors: { body: 'Write a message first.' } as Record<string, string> });
		}
		return attempt(() => api(event).post<TicketDetail>(`/tickets/${number}/messages`, { body, visibility }, headers), { reply: visibility }, { body });
	},

	watch: async (event) => {
		const number = ticketNumber(event.params.number);
		const { field } = await readForm(event.request);
		const userId = field('userId');
		if (userId && !/^\d{1,10}$/.test(userId)) {
			return fail(400, { watch: true, code: 'VALIDATION_ERROR', message: 'Choose someone from the list.', errors: { userId: 'Choose someone from the list.' } as Record<string, string> });
		}
		return attempt(() => api(event).post(`/tickets/${number}/watchers`, userId ? { userId: Number(userId) } : {}), { watch: true }, {});
	},

	unwatch: async (event) => {
		const number = ticketNumber(event.params.number);
		const { field } = await readForm(event.request);
		const userId = field('userId');
		if (!/^\d{1,10}$/.test(userId)) return fail(400, { watch: true, code: 'VALIDATION_ERROR', message: 'That watcher does not exist.', errors: {} as Record<string, string> });
		return attempt(() => api(event).del(`/tickets/${number}/watchers/${userId}`), { watch: true }, {});
	},

	fields: async (event) => {
		const number = ticketNumber(event.params.number);
		const { form, field } = await readForm(event.request);
		const client = api(event);
		const [{ data: ticket }, { data: catalog }] = await Promise.all([client.get<TicketDetail>(`/tickets/${number}`), client.get<Catalog>('/catalog')]);
		const specs = catalog.categories.find((c) => c.id === ticket.categoryId)?.fields ?? [];
		const { values, raw } = readCustomFields(form, specs);
		// A field emptied by the person is sent as null (cleared); one never filled stays out.
		const changes: Record<string, unknown> = {};
		for (const spec of specs) {
			const now = values[spec.key];
			const before = ticket.customFields[spec.key];
			if (now === undefined && before !== undefined && before !== null) changes[spec.key] = null;
			else if (now !== undefined && JSON.stringify(now) !== JSON.stringify(before)) changes[spec.key] = now;
		}
		if (Object.keys(changes).length === 0) return { fields: true, done: true as const, unchanged: true };
		const expectedVersion = Number(field('expectedVersion'));
		return attempt(
			() => client.patch(`/tickets/${number}/custom-fields`, { customFields: changes, expectedVersion }),
			{ fields: true },
			{ values: raw }
		);
	},

	decide: async (event) => {
		const number = ticketNumber(event.params.number);
		const { field, headers } = await readForm(event.request);
		const decision = DECISIONS.find((d) => d === field('decision'));
		if (!decision) {
			return fail(400, { decision: field('decision'), code: 'VALIDATION_ERROR', message: 'That decision does not exist.', errors: {} as Record<string, string> });
		}
		const kept = { reason: field('reason'), question: field('question'), toUserId: field('toUserId') };
		// There is no people search yet: a delegate is named by their user number, which must at least be one.
		if (kept.toUserId && !/^\d{1,10}$/.test(kept.toUserId)) {
			return fail(400, { decision, ...kept, code: 'VALIDATION_ERROR', message: 'Check the user number.', errors: { toUserId: 'Enter a user number, such as 9.' } as Record<string, string> });
		}
		const step = Number(field('step'));
		const body = {
			...(field('step') !== '' && Number.isInteger(step) && step >= 0 ? { step } : {}),
			...(kept.reason ? { reason: kept.reason } : {}),
			...(kept.question ? { question: kept.question } : {}),
			...(kept.toUserId ? { toUserId: Number(kept.toUserId) } : {})
		};
		return attempt(() => api(event).post<TicketDetail>(`/tickets/${number}/approval/${decision}`, body, headers), { decision }, kept);
	}
};
