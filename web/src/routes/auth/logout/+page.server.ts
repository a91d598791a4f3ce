import { endSession } from '$lib/server/session';
import type { Actions } from './$types';

export const actions: Actions = {
	default: (event) => {
		endSession(event);
		return { signedOut: true };
	}
};
