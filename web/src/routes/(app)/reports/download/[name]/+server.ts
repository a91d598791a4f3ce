import { error, redirect } from '@sveltejs/kit';
import { config } from '$lib/server/config';
import { REPORT_NAMES } from '../../reports';
import { apiQuery, parseFilters } from '../../filters';
import type { RequestHandler } from './$types';

/**
 * "Download CSV": the API's own CSV of a report (or the ticket export) for the filters
 * in the page URL, streamed through with the API's file name. The chart and its table
 * show the same API rows as JSON, so the file holds exactly what the chart shows.
 */
export const GET: RequestHandler = async ({ params, url, locals }) => {
	if (!locals.token) redirect(303, '/');
	const filters = parseFilters(url.searchParams);
	const now = new Date();
	let path: string;
	if (params.name === 'tickets') path = `/tickets/export?${apiQuery(filters, now, true)}`;
	else if ((REPORT_NAMES as readonly string[]).includes(params.name)) {
		const query = apiQuery(filters, now);
		query.set('format', 'csv');
		path = `/reports/${params.name}?${query}`;
	} else error(404, 'No such report');

	const response = await fetch(`${config().apiBase}${path}`, {
		headers: { authorization: `Bearer ${locals.token}`, accept: 'text/csv' },
		signal: AbortSignal.timeout(60_000)
	}).catch(() => error(503, 'The ticketing service cannot be reached right now. Try again in a moment.'));
	if (response.status === 401) redirect(303, '/');
	if (!response.ok) {
		const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
		error(response.status, body?.error?.message ?? 'The download failed');
	}
	return new Response(response.body, {
		headers: {
			'content-type': response.headers.get('content-type') ?? 'text/csv; charset=utf-8',
			'content-disposition': response.headers.get('content-disposition') ?? `attachment; filename="${params.name}.csv"`,
			'cache-control': 'no-store'
		}
	});
};
