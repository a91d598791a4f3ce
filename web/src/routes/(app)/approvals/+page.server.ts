import { fail, isHttpError } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { refused } from '$lib/server/forms';
import { api } from '$lib/server/session';
import type { BulkResult, ChainState, PendingApproval, Priority, TicketDetail } from '$contract/types';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 25;
const URGENCY: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export const load: PageServerLoad = async (event) => {
	const requested = Number(event.url.searchParams.get('page'));
	const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
	const client = api(event);
	const { data: pending, pagination } = await client.get<PendingApproval[]>(`/approvals/pending?page=${page}&limit=${PAGE_SIZE}`);
	// Each request's chain as it stands now, for the line that says where it is ("step 2 of 3 …").
	const chains = new Map<number, ChainState | null>();
	await Promise.all(
		[...new Set(pending.map((p) => p.ticket.number))].map((number) =>
			client.get<TicketDetail>(`/tickets/${number}`).then(
				({ data }) => void chains.set(number, data.approval),
				(err: unknown) => {
					if (isHttpError(err)) chains.set(number, null);
					else throw err;
				}
			)
		)
	);
	// Most urgent first: priority, then whoever has waited longest.
	const items = pending
		.map((p) => ({ ...p, chain: chains.get(p.ticket.number) ?? null }))
		.sort((a, b) => URGENCY[a.ticket.priority] - URGENCY[b.ticket.priority] || (a.waitingSince ?? '').localeCompare(b.waitingSince ?? ''));
	return {
		pending: items,
		pagination: pagination ?? { page, limit: PAGE_SIZE, total: pending.length, totalPages: 1 },
		// One per page load: a decision retried after "not confirmed" is the same change, answered once.
		actionKey: crypto.randomUUID()
	};
};

const DECISIONS = ['approve', 'reject', 'request_info', 'delegate'] as const;

export const actions: Actions = {
	/** One decision from the queue, for the step the row showed. */
	decide: async (event) => {
		const form = await event.request.formData();
		const field = (name: string) => String(form.get(name) ?? '').trim();
		const number = Number(field('number'));
		const step = Number(field('step'));
		const decision = DECISIONS.find((d) => d === field('decision'));
		if (!Number.isSafeInteger(number) || number <= 0 || !Number.isInteger(step) || !decision) {
			return fail(400, { number, decision: field('decision'), code: 'VALIDATION_ERROR', message: 'That decision cannot be made.', errors: {} as Record<string, string> });
		}
		const body = {
			step,
			...(field('reason') ? { reason: field('reason') } : {}),
			...(field('question') ? { question: field('question') } : {}),
			...(field('toUserId') ? { toUserId: Number(field('toUserId')) } : {})
		};
		try {
			await api(event).post(`/tickets/${number}/approval/${decision}`, body, field('key') ? { 'Idempotency-Key': `${field('key')}:${number}:${step}:${decision}` } : undefined);
		} catch (err) {
			if (err instanceof ApiError && (err.status < 500 || err.code === 'NOT_CONFIRMED')) return refused(err, { number, decision });
			throw err;
		}
		return { number, decision, done: true as const };
	},

	/** Many approvals at once; each ticket answers for itself, for the step its row showed. */
	bulk: async (event) => {
		const form = await event.request.formData();
		const chosen = form.getAll('pick').map(String).filter((v) => /^\d{1,12}:\d{1,2}$/.test(v));
		if (chosen.length === 0) return fail(400, { bulk: true, code: 'VALIDATION_ERROR', message: 'Tick the requests to approve first.', errors: {} as Record<string, string> });
		const items = chosen.map((pick) => {
			const [number, step] = pick.split(':');
			return { number: Number(number), step: Number(step) };
		});
		const { data } = await api(event).post<BulkResult>('/approvals/bulk-approve', { items });
		return { bulk: true, outcome: data };
	}
};
