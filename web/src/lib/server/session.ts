import { error, redirect, type Cookies } from '@sveltejs/kit';
import { ApiError, request, type ApiResult } from './api';
import { config, issuerBase } from './config';

export const SESSION_COOKIE = 'ticketing_session';
export const REFRESH_COOKIE = 'ticketing_refresh';
/** How long an unused refresh token is kept; the identity provider's own limits still apply. */
const REFRESH_COOKIE_DAYS = 30;
/** A token this close to its end is renewed before it is used, so a page never fails half-way. */
const RENEW_BEFORE_MS = 60_000;

interface SessionEvent {
	cookies: Cookies;
	locals: App.Locals;
	url: URL;
}

const cookieOptions = (url: URL) => ({
	path: '/',
	httpOnly: true,
	sameSite: 'lax' as const,
	// SvelteKit would default to `secure` on plain-http 127.0.0.1, where browsers then drop the cookie.
	secure: url.protocol === 'https:'
});

/**
 * Keeps the API access token in an httpOnly cookie that lives exactly as long as the token does,
 * and the refresh token (when the identity provider gave one) beside it, for renewing the session.
 */
export function startSession({ cookies, locals, url }: SessionEvent, token: string, expiresAt: Date, refreshToken?: string): void {
	cookies.set(SESSION_COOKIE, token, { ...cookieOptions(url), expires: expiresAt });
	if (refreshToken) cookies.set(REFRESH_COOKIE, refreshToken, { ...cookieOptions(url), maxAge: REFRESH_COOKIE_DAYS * 86_400 });
	locals.token = token;
}

export function endSession({ cookies, locals, url }: SessionEvent): void {
	cookies.delete(SESSION_COOKIE, { path: '/', secure: url.protocol === 'https:' });
	cookies.delete(REFRESH_COOKIE, { path: '/', secure: url.protocol === 'https:' });
	locals.token = null;
}

/** Refreshes in flight, by refresh token: a page's parallel requests share one, since a rotated token works only once. */
const renewing = new Map<string, Promise<{ accessToken: string; refreshToken?: string } | null>>();

async function redeem(refreshToken: string): Promise<{ accessToken: string; refreshToken?: string } | null> {
	const { clientId } = config().auth;
	try {
		const response = await fetch(`${issuerBase()}/oauth/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
			body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
			signal: AbortSignal.timeout(10_000)
		});
		const body = (await response.json().catch(() => null)) as { access_token?: unknown; refresh_token?: unknown } | null;
		if (!response.ok || typeof body?.access_token !== 'string') {
			console.warn(`session refresh refused by the identity provider (${response.status})`);
			return null;
		}
		return { accessToken: body.access_token, refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined };
	} catch (err) {
		console.error('session refresh: the identity provider could not be reached', err);
		return null;
	}
}

/**
 * Renews the session when its access token is gone or about to go and a refresh token is
 * kept: a person who stays signed in longer than one access token keeps working. A refused
 * refresh ends the session; an unreachable provider leaves it as it was.
 */
export async function renewSession(event: SessionEvent): Promise<void> {
	const refreshToken = event.cookies.get(REFRESH_COOKIE);
	if (!refreshToken) return;
	const token = event.locals.token;
	const expiry = token ? tokenExpiry(token) : undefined;
	if (token && expiry && expiry.getTime() - Date.now() > RENEW_BEFORE_MS) return;
	let pending = renewing.get(refreshToken);
	if (!pending) {
		pending = redeem(refreshToken);
		renewing.set(refreshToken, pending);
		// Kept a little while, so requests that still carry the old cookie reuse the answer instead of the spent token.
		void pending.finally(() => setTimeout(() => renewing.delete(refreshToken), 30_000));
	}
	const renewed = await pending;
	if (!renewed) {
		if (!token) endSession(event);
		return;
	}
	const expiresAt = tokenExpiry(renewed.accessToken);
	if (!expiresAt || expiresAt.getTime() <= Date.now()) return;
	startSession(event, renewed.accessToken, expiresAt, renewed.refreshToken ?? refreshToken);
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
