/**
 * Durations as people read them. Business time (SLA targets, time spent) is counted on
 * the team's working hours, so it is shown in hours and minutes only: "a day" of it
 * would be ambiguous between 24 hours and one working day.
 */
export function businessDuration(minutes: number): string {
	const total = Math.max(0, Math.round(minutes));
	const hours = Math.floor(total / 60);
	const rest = total % 60;
	if (hours === 0) return `${rest} min`;
	return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** Wall-clock time between two instants, to two units at most: "3 d 4 h", "2 h 5 min", "less than a minute". */
export function elapsed(ms: number): string {
	const minutes = Math.floor(Math.abs(ms) / 60_000);
	if (minutes < 1) return 'less than a minute';
	const days = Math.floor(minutes / 1440);
	const hours = Math.floor((minutes % 1440) / 60);
	const mins = minutes % 60;
	if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
	if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
	return `${mins} min`;
}

/** "in 2 h 5 min" or "2 h 5 min ago", from `now`. */
export function relativeTo(iso: string, now: number): string {
	const ms = new Date(iso).getTime() - now;
	if (Math.abs(ms) < 60_000) return ms > 0 ? 'in under a minute' : 'just now';
	return ms > 0 ? `in ${elapsed(ms)}` : `${elapsed(ms)} ago`;
}
