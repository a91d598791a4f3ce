/** `GET /admin/{calendars|sla-policies}/{id}/apply-preview` as the console reads it. */
export interface ApplyPreview {
	toVersion: number;
	openTickets: number;
	moving: number;
	truncated: boolean;
	reason: string;
	tickets: Array<{
		number: number;
		title: string;
		status: string;
		fromVersion: number | null;
		firstResponseDue: { before: string | null; after: string | null };
		resolutionDue: { before: string | null; after: string | null };
		moves: boolean;
	}>;
}
