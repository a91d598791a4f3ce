import { api } from '$lib/server/session';
import type { PageServerLoad } from './$types';

export interface TemplateView {
	alias: string;
	subject: string;
	textBody: string;
	htmlBody: string;
	version: number;
}

export const load: PageServerLoad = async (event) => ({ templates: (await api(event).get<TemplateView[]>('/admin/notification-templates?limit=100')).data });
