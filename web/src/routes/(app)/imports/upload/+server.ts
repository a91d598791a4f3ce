import { error, json } from '@sveltejs/kit';
import { config } from '$lib/server/config';
import type { RequestHandler } from './$types';

/**
 * The browser's upload (raw CSV, sent with XMLHttpRequest so it can show progress) is
 * streamed on to the API as it arrives, never buffered here; the API's answer (202 with
 * the import id, or its refusal naming the columns) is passed back unchanged.
 */
export const POST: RequestHandler = async ({ request, url, locals }) => {
	if (!locals.token) error(401, 'Sign in again');
	const filename = (url.searchParams.get('filename') ?? 'upload.csv').slice(0, 200);
	const headers: Record<string, string> = { authorization: `Bearer ${locals.token}`, 'content-type': 'text/csv', accept: 'application/json' };
	const length = request.headers.get('content-length');
	if (length) headers['content-length'] = length;
	let response: Response;
	try {
		response = await fetch(`${config().apiBase}/imports?${new URLSearchParams({ filename })}`, {
			method: 'POST',
			headers,
			body: request.body,
			// Node's fetch needs this to send a stream as the body.
			duplex: 'half',
			signal: AbortSignal.timeout(10 * 60_000)
		} as RequestInit);
	} catch (cause) {
		console.error('import upload could not reach the API', cause);
		return json({ success: false, error: { code: 'API_UNREACHABLE', message: 'The ticketing service cannot be reached right now. Try again in a moment.' } }, { status: 503 });
	}
	return new Response(response.body, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' } });
};
