import { error } from '@sveltejs/kit';
import { ApiError, request } from '$lib/server/api';
import { startSession, tokenExpiry } from '$lib/server/session';
import type { RequestHandler } from './$types';

/**
 * Turns the access token the browser obtained into the portal's session. The token is
 * accepted only if the API itself accepts it, so the portal never trusts a token the
 * API would refuse.
 */
export const POST: RequestHandler = async (event) => {
	const body = (await event.request.json().catch(() => null)) as { accessToken?: unknown; refreshToken?: unknown } | null;
	const token = body?.accessToken;
	const refreshToken = typeof body?.refreshToken === 'string' && body.refreshToken.length > 0 && body.refreshToken.length <= 4096 ? body.refreshToken : undefined;
	if (typeof token !== 'string' || token.length === 0) error(400, 'accessToken is required');

	try {
		await request('/me', { token });
	} catch (err) {
		if (err instanceof ApiError) error(err.status >= 400 && err.status <= 599 ? err.status : 502, { message: err.message, code: err.code });
		throw err;
	}

	const expiresAt = tokenExpiry(token);
	if (!expiresAt || expiresAt.getTime() <= Date.now()) error(401, 'The access token has no future expiry');

	startSession(event, token, expiresAt, refreshToken);
	return new Response(null, { status: 204 });
};
