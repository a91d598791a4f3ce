import { error } from '@sveltejs/kit';
import { api } from '$lib/server/session';
import type { Catalog } from '$contract/types';
import { mayImport, type ImportView } from './types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user } = await event.parent();
	if (!mayImport(user.roles)) error(403, { message: 'Importing tickets is for team leads and administrators.', code: 'FORBIDDEN' });
	const client = api(event);
	const [imports, catalog] = await Promise.all([client.get<ImportView[]>('/imports?limit=20'), client.get<Catalog>('/catalog')]);
	return {
		imports: imports.data,
		categories: catalog.data.categories.map((c) => ({ id: c.id, code: c.code, name: c.name, fields: c.fields.map((f) => ({ key: f.key })) }))
	};
};
