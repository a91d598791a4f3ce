import { invalidate, invalidateAll } from '$app/navigation';
import { navigating, page } from '$app/state';

/**
 * The page's one connection to the live feed (EventSource on /live, which the browser
 * reconnects by itself, sending the last event id so the API replays what was missed).
 * A change to the ticket on screen reloads that page's data; lists and queues reload
 * shortly after a burst of changes; a notification refreshes the bell.
 *
 * Nothing is reloaded while a navigation is under way: SvelteKit lets the later of a
 * navigation and an invalidation win, so a notification arriving just after "Submit"
 * would otherwise cancel the move to the new ticket. Deferred reloads run after it.
 */
export const liveState = $state<{ status: 'off' | 'connecting' | 'live' | 'retrying' }>({ status: 'off' });

const LIST_PAGES = ['/tickets', '/approvals', '/work', '/notifications'];
let source: EventSource | null = null;
let listTimer: ReturnType<typeof setTimeout> | undefined;
let deferred: { all: boolean; bell: boolean } = { all: false, bell: false };

function reload(kind: 'all' | 'bell'): void {
	if (navigating.to) {
		deferred[kind] = true;
		return;
	}
	void (kind === 'all' ? invalidateAll() : invalidate('app:bell'));
}

/** Called by the layout once a navigation has finished: runs what was held back meanwhile. */
export function afterLiveNavigation(): void {
	const { all, bell } = deferred;
	deferred = { all: false, bell: false };
	if (all) reload('all');
	else if (bell) reload('bell');
}

function onTicket(number: number): void {
	const path = page.url.pathname;
	if (path === `/tickets/${number}`) {
		reload('all');
		return;
	}
	if (LIST_PAGES.includes(path)) {
		clearTimeout(listTimer);
		listTimer = setTimeout(() => reload('all'), 800);
	}
}

export function connectLive(): () => void {
	if (source || typeof EventSource === 'undefined') return () => undefined;
	liveState.status = 'connecting';
	source = new EventSource('/live');
	source.onopen = () => {
		liveState.status = 'live';
	};
	source.onerror = () => {
		// The browser retries by itself unless the stream was refused (the session ended).
		liveState.status = source?.readyState === EventSource.CLOSED ? 'off' : 'retrying';
	};
	source.addEventListener('ticket', (event) => {
		const { number } = JSON.parse((event as MessageEvent<string>).data) as { number: number };
		onTicket(number);
	});
	source.addEventListener('notification', () => reload('bell'));
	return () => {
		source?.close();
		source = null;
		clearTimeout(listTimer);
		liveState.status = 'off';
	};
}
