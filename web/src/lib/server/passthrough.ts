import { redirect } from '@sveltejs/kit';
import { config } from './config';
import { endSession } from './session';

/**
 * Streams one request to the API and its answer back untouched, adding the session's
 * bearer token: for file uploads and downloads, which must not be buffered or re-encoded
 * on the way. Envelopes (JSON errors) come back as they are for the browser to read.
 */
export async function passThrough(
	event: { request: Request; locals: App.Locals; cookies: import('@sveltejs/kit').Cookies; url: URL },
	path: string,
	copyHeaders: string[]
): Promise<Response> {
	const token = event.locals.token;
	if (!token) redirect(303, '/');
	const hasBody = event.request.method !== 'GET' && event.request.method !== 'HEAD';
	const headers: Record<string, string> = { authorization: `Bearer ${token}` };
	for (const name of ['content-type', 'content-length', 'accept', 'last-event-id']) {
		const value = event.request.headers.get(name);
		if (value) headers[name] = value;
	}
	let upstream: Response;
	try {
		upstream = await fetch(`${config().apiBase}${path}`, {
			method: event.request.method,
			headers,
			body: hasBody ? event.request.body : undefined,
			// Node's fetch streams a request body only when told it may start answering before the body ends.
			...(hasBody ? { duplex: 'half' } : {}),
			// A relayed event stream lives as long as the browser keeps it; uploads and downloads get two minutes.
			signal: event.request.headers.get('accept')?.includes('text/event-stream') ? event.request.signal : AbortSignal.timeout(120_000)
		} as RequestInit);
	} catch {
		return Response.json({ success: false, error: { code: 'API_UNREACHABLE', message: 'The ticketing service cannot be reached right now. Try again in a moment.' } }, { status: 503 });
	}
	if (upstream.status === 401) {
		endSession(event);
		return Response.json({ success: false, error: { code: 'UNAUTHENTICATED', message: 'Your session has ended. Sign in again.' } }, { status: 401 });
	}
	const answer = new Headers();
	for (const name of ['content-type', 'content-length', 'content-disposition', 'x-content-type-options', 'cache-control', 'content-security-policy', 'x-accel-buffering', ...copyHeaders]) {
		const value = upstream.headers.get(name);
		if (value) answer.set(name, value);
	}
	return new Response(upstream.body, { status: upstream.status, headers: answer });
}
