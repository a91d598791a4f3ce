import { getContext, setContext } from 'svelte';

/** The team whose business calendar a page's times belong to: its name and IANA zone. */
export interface TeamZone {
	name: string;
	timeZone: string;
}

const KEY = Symbol('team-zone');

/**
 * A ticket page names its owning team's zone once; every time shown below it then offers
 * the team's local time on hover, since SLA targets and working hours are set in that zone.
 * A getter, so the page's live reloads (a transfer to another team) reach the times shown.
 */
export function provideTeamZone(zone: () => TeamZone | null): void {
	setContext(KEY, zone);
}

/** The provided zone's getter (call it inside `$derived`), or one answering null outside a ticket page. */
export function teamZoneFromContext(): () => TeamZone | null {
	return getContext<(() => TeamZone | null) | undefined>(KEY) ?? (() => null);
}
