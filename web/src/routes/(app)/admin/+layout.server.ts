import { error } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

/** The console is for admins (who change things) and leads (who read the set-up they work under). */
export const load: LayoutServerLoad = async ({ parent }) => {
	const { user } = await parent();
	const admin = user.roles.includes('admin');
	if (!admin && !user.roles.includes('lead')) error(403, { message: 'The admin console is for administrators and team leads.', code: 'FORBIDDEN' });
	return { readOnly: !admin };
};
