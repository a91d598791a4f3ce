import { redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

/** Everything under here is for signed-in people; the landing page is where signing in starts. */
export const load: LayoutServerLoad = async ({ parent }) => {
	const { user } = await parent();
	if (!user) redirect(303, '/');
	return { user };
};
