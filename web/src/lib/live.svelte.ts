import { invalidate, invalidateAll } from '$app/navigation';
import { page } from '$app/state';

/**
 * The page's one connection to the live feed (EventSource on /live, which the browser
 * reconnects by itself, sending the last event id so the API replays what was missed).
 * A change to the ticket on screen reloads that page's data; lists and queues reload
 * shortly after a burst of changes; a notification refreshes the bell.
 */
export const liveState = $state<{ status: 'off' | 'connecting' | 'live' | 'retrying' }>({ status: 'off' });

const LIST_PAGES = ['/tickets', '/approvals', '/work', '/notifications'];
let source: EventSource | null = null;
let listTimer: ReturnType<typeof setTimeout> | undefined;

function onTicket(number: number): void {
	const path = page.url.pathname;
	if (path === `/tickets/${number}`) {
		void invalidateAll();
		return;
	}
	if (LIST_PAGES.includes(path)) {
		clearTimeout(listTimer);
		listTimer = setTimeout(() => void invalidateAll(), 800);
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
		// The browser retries on its own; a closed stream (session over) is reopened once by reloading the data.
		liveState.status = source?.readyState === EventSource.CLOSED ? 'off' : 'retrying';
	};
	source.addEventListener('ticket', (event) => {
		const { number } = JSON.parse((event as MessageEvent<string>).data) as { number: number };
		onTicket(number);
	});
	source.addEventListener('notification', () => void invalidate('app:bell'));
	return () => {
		source?.close();
		source = null;
		liveState.status = 'off';
	};
}
