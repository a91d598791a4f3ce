// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {
		interface Error {
			message: string;
			/** The API's machine-readable error code, when the error came from the API. */
			code?: string;
		}
		interface Locals {
			/** The API access token from the session cookie; null when nobody is signed in. */
			token: string | null;
		}
	}
}

export {};
