import { api } from '$lib/server/session';
import type { CalendarView } from './types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => ({ calendars: (await api(event).get<CalendarView[]>('/admin/calendars')).data });
