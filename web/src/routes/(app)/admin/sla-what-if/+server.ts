import { passThrough } from '$lib/server/passthrough';
import type { RequestHandler } from './$types';

/**
 * "Preview impact": the editors post their draft here and read the API's NDJSON lines as
 * they come (or the CSV with ?format=csv); streamed through untouched with the session's token.
 */
export const POST: RequestHandler = async (event) => {
	const format = event.url.searchParams.get('format') === 'csv' ? 'csv' : 'ndjson';
	return passThrough(event, `/admin/sla/what-if?format=${format}`, []);
};
