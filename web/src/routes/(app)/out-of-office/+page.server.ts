import { fail } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { refused } from '$lib/server/forms';
import { api } from '$lib/server/session';
import type { DelegationView } from '$contract/types';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	const { data } = await api(event).get<DelegationView[]>('/approvals/delegations?limit=100');
	return {
		mine: data.filter((d) => d.fromUserId === user.id),
		forOthers: data.filter((d) => d.toUserId === user.id)
	};
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const actions: Actions = {
	create: async (event) => {
		const form = await event.request.formData();
		const field = (name: string) => String(form.get(name) ?? '').trim();
		const kept = { toUserId: field('toUserId'), toName: field('toName'), startsOn: field('startsOn'), endsOn: field('endsOn') };
		const errors: Record<string, string> = {};
		if (!/^\d{1,10}$/.test(kept.toUserId)) errors.toUserId = 'Choose who approves for you.';
		if (!DAY.test(kept.startsOn)) errors.startsOn = 'Give the first day you are away.';
		if (!DAY.test(kept.endsOn)) errors.endsOn = 'Give the last day you are away.';
		else if (DAY.test(kept.startsOn) && kept.endsOn < kept.startsOn) errors.endsOn = 'The last day cannot be before the first.';
		if (Object.keys(errors).length > 0) return fail(400, { ...kept, code: 'VALIDATION_ERROR', message: 'Check the highlighted fields.', errors });
		try {
			await api(event).post('/approvals/delegations', { toUserId: Number(kept.toUserId), startsOn: kept.startsOn, endsOn: kept.endsOn });
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return refused(err, kept);
			throw err;
		}
		return { created: true };
	},
	revoke: async (event) => {
		const id = String((await event.request.formData()).get('id') ?? '');
		if (!/^\d{1,10}$/.test(id)) return fail(400, { message: 'That delegation does not exist.' });
		try {
			await api(event).del(`/approvals/delegations/${id}`);
		} catch (err) {
			if (err instanceof ApiError && err.status < 500) return fail(err.status, { message: 'That delegation was already revoked.' });
			throw err;
		}
		return { revoked: Number(id) };
	}
};
