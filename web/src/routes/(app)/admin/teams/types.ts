/** `GET /admin/teams[/:id]` as the console reads it (api/admin/teams.ts). */
export interface TeamAdminView {
	id: number;
	code: string;
	name: string;
	departmentId: number;
	calendarId: number | null;
	assignmentStrategy: 'queue' | 'round_robin' | 'least_loaded';
	members: Array<{ userId: number; membership: 'agent' | 'lead'; onShift: boolean }>;
	version: number;
}

export const STRATEGY: Record<string, string> = { queue: 'Queue (agents take)', round_robin: 'Round robin', least_loaded: 'Least loaded on shift' };
