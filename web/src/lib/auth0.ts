import type { Auth0Client } from '@auth0/auth0-spa-js';

export interface AuthConfig {
	domain: string;
	clientId: string;
	audience: string;
}

/**
 * The browser's Auth0 client. Loaded on demand so the SDK never runs during server
 * rendering. Built with the constructor rather than `createAuth0Client`, which would
 * first try a silent sign-in in a hidden iframe: the portal keeps its own session
 * cookie and only needs the SDK for the redirect, the code exchange and sign-out.
 */
export async function auth0(config: AuthConfig): Promise<Auth0Client> {
	const { Auth0Client } = await import('@auth0/auth0-spa-js');
	return new Auth0Client({
		domain: config.domain,
		clientId: config.clientId,
		authorizationParams: {
			audience: config.audience,
			redirect_uri: `${window.location.origin}/auth/callback`,
			scope: 'openid profile email'
		},
		// Tokens stay out of web storage; the server-side cookie is the session.
		cacheLocation: 'memory'
	});
}
