import { env } from '$env/dynamic/private';

export interface PortalConfig {
	/** Base of the ticketing API, e.g. http://127.0.0.1:3001/api/v1. */
	apiBase: string;
	/** What the browser's Auth0 SDK needs; none of it is secret. */
	auth: { domain: string; clientId: string; audience: string; tokenDomain?: string };
	temporalUi: { url: string | null; namespace: string };
}

let cached: PortalConfig | undefined;

function required(name: string): string {
	const value = env[name]?.trim();
	if (!value) throw new Error(`The portal needs the environment variable ${name}`);
	return value;
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** The issuer's base URL for server-side calls (token refresh, revocation); an Auth0 domain given bare means https. */
export function issuerBase(): string {
	const { domain, tokenDomain } = config().auth;
	const base = tokenDomain ?? domain;
	return /^https?:\/\//.test(base) ? base : `https://${base}`;
}

/** Read once and validated, so a missing variable stops the server at start rather than on some later page. */
export function config(): PortalConfig {
	cached ??= {
		apiBase: `${withoutTrailingSlash(required('API_URL'))}/api/v1`,
		auth: {
			domain: withoutTrailingSlash(required('OIDC_DOMAIN')),
			clientId: required('OIDC_CLIENT_ID'),
			audience: required('OIDC_AUDIENCE'),
			// Where the portal's server reaches the issuer to refresh a session, when not at the browser's address (compose).
			...(env.OIDC_INTERNAL_URL?.trim() ? { tokenDomain: withoutTrailingSlash(env.OIDC_INTERNAL_URL.trim()) } : {})
		},
		temporalUi: {
			url: env.TEMPORAL_UI_URL?.trim() ? withoutTrailingSlash(env.TEMPORAL_UI_URL.trim()) : null,
			namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default'
		}
	};
	return cached;
}
