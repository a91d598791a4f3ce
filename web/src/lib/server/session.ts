import { error, redirect, type Cookies } from '@sveltejs/kit';
import { ApiError, request, type ApiResult } from './api';

export const SESSION_COOKIE = 'ticketing_session';

interface SessionEvent {
	cookies: Cookies;
	locals: App.Locals;
	url: URL;
}

/** Keeps the API access token in an httpOnly cookie that lives exactly as long as the token does. */
export function startSession({ cookies, locals, url }: SessionEvent, token: string, expiresAt: Date): void {
	cookies.set(SESSION_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		// SvelteKit would default to `secure` on plain-http 127.0.0.1, where browsers then drop the cookie.
		secure: url.protocol === 'https:',
		expires: expiresAt
	});
	locals.token = token;
}

export function endSession({ cookies, locals, url }: SessionEvent): void {
	cookies.delete(SESSION_COOKIE, { path: '/', secure: url.protocol === 'https:' });
	locals.token = null;
}

/** Seconds-since-epoch `exp` of a JWT. The API has already verified the signature; this only reads the date. */
export function tokenExpiry(token: string): Date | undefined {
	try {
		const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
		return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
	} catch {
		return undefined;
	}
}

/**
 * The API as the signed-in person. Without a session, or once the API stops accepting
 * the token, the session ends and the person goes back to the landing page. Reads
 * turn other refusals into SvelteKit error pages (the API's 404 becomes the portal's
 * 404); writes throw ApiError so form actions can answer with per-field messages.
 */
export function api(event: SessionEvent) {
	async function send<T>(path: string, options: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: unknown; headers?: Record<string, string> } = {}) {
		const token = event.locals.token;
		if (!token) redirect(303, '/');
		try {
			return await request<T>(path, { ...options, token });
		} catch (err) {
			if (err instanceof ApiError && err.status === 401) {
				endSession(event);
				redirect(303, '/');
			}
			throw err;
		}
	}

	return {
		async get<T>(path: string): Promise<ApiResult<T>> {
			try {
				return await send<T>(path);
			} catch (err) {
				if (err instanceof ApiError) error(err.status >= 400 && err.status <= 599 ? err.status : 502, { message: err.message, code: err.code });
				throw err;
			}
		},
		post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResult<T>> {
			return send<T>(path, { method: 'POST', body, headers });
		},
		put<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResult<T>> {
			return send<T>(path, { method: 'PUT', body, headers });
		},
		patch<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResult<T>> {
			return send<T>(path, { method: 'PATCH', body, headers });
		},
		del<T>(path: string, headers?: Record<string, string>): Promise<ApiResult<T>> {
			return send<T>(path, { method: 'DELETE', headers });
		}
	};
}
