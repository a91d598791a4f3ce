import { config, issuerBase } from '$lib/server/config';
import { endSession, REFRESH_COOKIE } from '$lib/server/session';
import type { Actions } from './$types';

export const actions: Actions = {
	default: async (event) => {
		const refreshToken = event.cookies.get(REFRESH_COOKIE);
		endSession(event);
		// The refresh token would outlive the sign-out at the provider otherwise; a failed revocation still signs out here.
		if (refreshToken) {
			await fetch(`${issuerBase()}/oauth/revoke`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: config().auth.clientId }),
				signal: AbortSignal.timeout(5_000)
			}).catch((err: unknown) => console.warn('sign-out: the refresh token could not be revoked', err));
		}
		return { signedOut: true };
	}
};
