import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { config } from '$lib/server/config';
import { renewSession, SESSION_COOKIE } from '$lib/server/session';
import { THEME_COOKIE, themeAttribute, themeOf } from '$lib/theme';

export const init: ServerInit = () => {
	config();
};

export const handle: Handle = async ({ event, resolve }) => {
	event.locals.token = event.cookies.get(SESSION_COOKIE) ?? null;
	await renewSession(event);
	const theme = themeOf(event.cookies.get(THEME_COOKIE));
	return resolve(event, { transformPageChunk: ({ html }) => html.replace('<html lang="en">', `<html lang="en"${themeAttribute(theme)}>`) });
};

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	if (status >= 500) console.error(`${event.request.method} ${event.url.pathname} failed`, error);
	return { message };
};
