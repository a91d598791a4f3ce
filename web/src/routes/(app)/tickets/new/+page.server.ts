import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { refused } from '$lib/server/forms';
import { api } from '$lib/server/session';
import type { Catalog, TicketDetail } from '$contract/types';
import { readCustomFields, type RawValue } from './custom-fields';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { data: catalog } = await api(event).get<Catalog>('/catalog');
	// One key per rendered form: a double submit or a retried request creates one ticket, not two.
	return { catalog, idempotencyKey: crypto.randomUUID() };
};

export const actions: Actions = {
	default: async (event) => {
		const form = await event.request.formData();
		const text = (name: string) => String(form.get(name) ?? '').trim();
		const client = api(event);

		// The catalog is the schema of the custom fields: it says how to read each submitted value.
		const { data: catalog } = await client.get<Catalog>('/catalog');
		// The guided form names its last choice in categoryId; without script, the subcategory or category select says it.
		const chosenId = text('categoryId') || text('subCategoryId') || text('topCategoryId');
		const category = catalog.categories.find((c) => String(c.id) === chosenId);
		const custom = readCustomFields(form, category?.fields ?? []);
		const values = {
			categoryId: chosenId,
			title: text('title'),
			description: text('description'),
			priority: text('priority'),
			customFields: custom.raw as Record<string, RawValue>
		};

		if (!category) {
			return fail(400, {
				values,
				code: 'VALIDATION_ERROR',
				message: 'Choose what the request is about.',
				errors: { categoryId: 'Choose a category.' } as Record<string, string>
			});
		}

		let ticket: TicketDetail;
		try {
			({ data: ticket } = await client.post<TicketDetail>(
				'/tickets',
				{
					title: values.title,
					description: values.description,
					categoryId: category.id,
					...(values.priority ? { priority: values.priority } : {}),
					customFields: custom.values
				},
				text('idempotencyKey') ? { 'Idempotency-Key': text('idempotencyKey') } : undefined
			));
		} catch (err) {
			if (err instanceof ApiError && (err.status < 500 || err.code === 'NOT_CONFIRMED')) return refused(err, { values });
			throw err;
		}
		redirect(303, `/tickets/${ticket.number}`);
	}
};
