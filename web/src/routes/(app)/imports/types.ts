/** `GET /imports[/:id]` as the portal reads it. */
export interface ImportView {
	id: string;
	filename: string;
	status: 'receiving' | 'queued' | 'running' | 'completed' | 'failed';
	createdBy: number;
	totals: { rows: number; created: number; existing: number; failed: number; pending: number };
	failure: string | null;
	createdAt: string | null;
	startedAt: string | null;
	finishedAt: string | null;
}

export const STATUS_TEXT: Record<ImportView['status'], string> = {
	receiving: 'Receiving the file',
	queued: 'Waiting to start',
	running: 'Running',
	completed: 'Completed',
	failed: 'Failed'
};

export const finished = (status: ImportView['status']) => status === 'completed' || status === 'failed';

/** Leads and admins import (the API refuses everyone else). */
export const mayImport = (roles: readonly string[]) => roles.includes('lead') || roles.includes('admin');
