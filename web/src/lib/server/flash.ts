import type { Cookies } from '@sveltejs/kit';

const FLASH_COOKIE = 'ticketing_flash';

/**
 * A one-time notice for the next page, for when an action leads somewhere else: kept in a
 * short-lived cookie rather than the URL so it shows once and is not carried by links.
 */
export function setFlash(cookies: Cookies, url: URL, message: string): void {
	cookies.set(FLASH_COOKIE, message, { path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:', maxAge: 60 });
}

export function takeFlash(cookies: Cookies, url: URL): string | null {
	const message = cookies.get(FLASH_COOKIE) ?? null;
	if (message !== null) cookies.delete(FLASH_COOKIE, { path: '/', secure: url.protocol === 'https:' });
	return message;
}
