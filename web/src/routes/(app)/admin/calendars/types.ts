import type { Holiday, Weekday, WorkingInterval } from '$domain/business-time';

/** `GET /admin/calendars` as the console reads it. */
export interface CalendarView {
	id: number;
	code: string;
	name: string;
	version: number;
	timeZone: string;
	weeklyHours: Partial<Record<Weekday, WorkingInterval[]>>;
	holidays: Holiday[];
	/** The version tickets start with, and whether the draft differs from it. */
	published: { version: number; publishedAt: string; note: string | null } | null;
	unpublishedChanges: boolean;
}
