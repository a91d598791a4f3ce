import { error } from '@sveltejs/kit';
import { adminWrite } from '$lib/server/admin';
import { api } from '$lib/server/session';
import type { TemplateView } from '../+page.server';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	if (!/^[a-z][a-z_]{0,47}$/.test(event.params.alias)) error(404, { message: 'No such template', code: 'NOT_FOUND' });
	return { template: (await api(event).get<TemplateView>(`/admin/notification-templates/${event.params.alias}`)).data };
};

export const actions: Actions = {
	save: async (event) => {
		const data = await event.request.formData();
		const body = {
			subject: String(data.get('subject') ?? ''),
			textBody: String(data.get('textBody') ?? ''),
			htmlBody: String(data.get('htmlBody') ?? ''),
			expectedVersion: Number(data.get('expectedVersion'))
		};
		const result = await adminWrite(event, 'PUT', `/admin/notification-templates/${event.params.alias}`, body, { form: 'template', entity: 'notification_template', entityId: event.params.alias });
		if (!result.ok) return result.failure;
		return { form: 'template', saved: 'Saved and pushed to the mail service.' };
	}
};
