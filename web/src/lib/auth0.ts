import type { Auth0Client, ICache } from '@auth0/auth0-spa-js';

export interface AuthConfig {
	domain: string;
	clientId: string;
	audience: string;
}

/**
 * The SDK's token cache, in memory only, kept readable so the sign-in can hand the refresh
 * token to the portal's server (an httpOnly cookie), which renews the session when the
 * access token runs out. Nothing is written to web storage.
 */
class HandOverCache implements ICache {
	readonly entries = new Map<string, unknown>();
	set<T>(key: string, entry: T): void {
		this.entries.set(key, entry);
	}
	get<T>(key: string): T | undefined {
		return this.entries.get(key) as T | undefined;
	}
	remove(key: string): void {
		this.entries.delete(key);
	}
	allKeys(): string[] {
		return [...this.entries.keys()];
	}
	refreshToken(): string | undefined {
		for (const entry of this.entries.values()) {
			const token = (entry as { body?: { refresh_token?: unknown } } | undefined)?.body?.refresh_token;
			if (typeof token === 'string' && token) return token;
		}
		return undefined;
	}
}

/**
 * The browser's Auth0 client. Loaded on demand so the SDK never runs during server
 * rendering. Built with the constructor rather than `createAuth0Client`, which would
 * first try a silent sign-in in a hidden iframe: the portal keeps its own session
 * cookie and only needs the SDK for the redirect, the code exchange and sign-out.
 * `offline_access` asks for a refresh token, which the portal's server keeps.
 */
export async function auth0(config: AuthConfig): Promise<{ client: Auth0Client; refreshToken: () => string | undefined }> {
	const { Auth0Client } = await import('@auth0/auth0-spa-js');
	const cache = new HandOverCache();
	const client = new Auth0Client({
		domain: config.domain,
		clientId: config.clientId,
		authorizationParams: {
			audience: config.audience,
			redirect_uri: `${window.location.origin}/auth/callback`,
			scope: 'openid profile email offline_access'
		},
		useRefreshTokens: true,
		useRefreshTokensFallback: false,
		cache
	});
	return { client, refreshToken: () => cache.refreshToken() };
}
