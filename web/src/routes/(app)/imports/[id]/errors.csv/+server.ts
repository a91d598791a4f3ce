import { error, redirect } from '@sveltejs/kit';
import { config } from '$lib/server/config';
import type { RequestHandler } from './$types';

/** "Download errors as CSV": the API's streamed report of the import's failed rows (row, external id, column, message). */
export const GET: RequestHandler = async ({ params, locals }) => {
	if (!locals.token) redirect(303, '/');
	const response = await fetch(`${config().apiBase}/imports/${encodeURIComponent(params.id)}/errors?format=csv`, {
		headers: { authorization: `Bearer ${locals.token}`, accept: 'text/csv' },
		signal: AbortSignal.timeout(60_000)
	}).catch(() => error(503, 'The ticketing service cannot be reached right now. Try again in a moment.'));
	if (response.status === 401) redirect(303, '/');
	if (!response.ok) error(response.status, response.status === 404 ? 'No such import' : 'The download failed');
	return new Response(response.body, {
		headers: {
			'content-type': 'text/csv; charset=utf-8',
			'content-disposition': response.headers.get('content-disposition') ?? `attachment; filename="import-${params.id}-errors.csv"`,
			'cache-control': 'no-store'
		}
	});
};
