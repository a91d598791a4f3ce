import { redirect } from '@sveltejs/kit';
import { worksQueues } from '$lib/labels';
import { api } from '$lib/server/session';
import type { PendingApproval, TicketSummary } from '$contract/types';
import type { PageServerLoad } from './$types';

/** Statuses in which a ticket still needs someone on the desk. */
const OPEN = 'new,triaged,assigned,in_progress,waiting_on_requester,waiting_on_vendor';

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	if (!worksQueues(user)) redirect(303, '/tickets');
	const client = api(event);
	const [{ data: mine, pagination }, { data: breached }, { pagination: approvals }] = await Promise.all([
		client.get<TicketSummary[]>(`/tickets?scope=team&assigneeId=${user.id}&status=${OPEN}&sort=priority&limit=100`),
		// Soonest due first, so the hundred looked at are the ones nearest a breach, whatever their priority.
		client.get<TicketSummary[]>(`/tickets?scope=team&status=${OPEN}&sort=due&limit=100`),
		client.get<PendingApproval[]>('/approvals/pending?limit=1')
	]);
	return {
		mine,
		mineTotal: pagination?.total ?? mine.length,
		team: breached,
		approvalsWaiting: approvals?.total ?? 0,
		loadedAt: new Date().toISOString()
	};
};
