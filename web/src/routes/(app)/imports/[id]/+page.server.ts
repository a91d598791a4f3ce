import { error } from '@sveltejs/kit';
import { api } from '$lib/server/session';
import { mayImport, type ImportView } from '../types';
import type { PageServerLoad } from './$types';

export interface RowErrors {
	row: number;
	externalId: string | null;
	errors: Array<{ field: string; message: string }>;
}

const ERRORS_PER_PAGE = 100;

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	if (!mayImport(user.roles)) error(403, { message: 'Importing tickets is for team leads and administrators.', code: 'FORBIDDEN' });
	// The id goes into the API path; anything but a UUID cannot be an import.
	if (!/^[0-9a-f-]{36}$/i.test(event.params.id)) error(404, { message: 'No such import', code: 'NOT_FOUND' });
	const requested = Number(event.url.searchParams.get('page'));
	const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
	const client = api(event);
	const [item, errors] = await Promise.all([
		client.get<ImportView>(`/imports/${event.params.id}`),
		client.get<RowErrors[]>(`/imports/${event.params.id}/errors?limit=${ERRORS_PER_PAGE}&page=${page}`)
	]);
	return {
		item: item.data,
		errors: errors.data,
		pagination: errors.pagination ?? { page, limit: ERRORS_PER_PAGE, total: errors.data.length, totalPages: 1 }
	};
};
