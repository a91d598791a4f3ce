import { PRIORITIES, STATUSES, TERMINAL_STATUSES } from '$domain/types';
import type { Priority, SavedFilterCriteria, TicketStatus } from '$contract/types';

/** Status groups offered ahead of single statuses: what "open" and "finished" mean to a person. */
export const STATUS_GROUPS: ReadonlyArray<{ label: string; statuses: readonly TicketStatus[] }> = [
	{ label: 'Open (not finished)', statuses: STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s)) },
	{ label: 'Finished (closed, rejected, cancelled)', statuses: STATUSES.filter((s) => TERMINAL_STATUSES.includes(s)) }
];

export const SORTS = [
	{ value: 'updated_desc', label: 'Recently updated' },
	{ value: 'priority', label: 'Most urgent first' },
	{ value: 'due', label: 'Due soonest first' },
	{ value: 'created_asc', label: 'Oldest first' },
	{ value: 'created_desc', label: 'Newest first' }
] as const;
export type Sort = (typeof SORTS)[number]['value'];

/** The filters of a ticket list as the portal's address keeps them (`?status=new,assigned&mine=1`). */
export interface ListFilters {
	status: TicketStatus[];
	priority: Priority[];
	q: string;
	/** Only tickets assigned to the viewer (team queue). */
	mine: boolean;
	sort: Sort | '';
}

function listOf<T extends string>(allowed: readonly T[], raw: string | null): T[] {
	const wanted = new Set((raw ?? '').split(','));
	return allowed.filter((value) => wanted.has(value));
}

/** Unknown values are dropped rather than forwarded, so a hand-edited address shows a list instead of an error. */
export function filtersFrom(params: URLSearchParams): ListFilters {
	return {
		status: listOf(STATUSES, params.get('status')),
		priority: listOf(PRIORITIES, params.get('priority')),
		q: params.get('q')?.trim().slice(0, 200) ?? '',
		mine: params.get('mine') === '1',
		sort: SORTS.find((s) => s.value === params.get('sort'))?.value ?? ''
	};
}

export const isFiltered = (f: ListFilters): boolean => f.status.length > 0 || f.priority.length > 0 || f.q !== '' || f.mine || f.sort !== '';

/** The portal address of a list with these filters. */
export function listHref(scope: 'mine' | 'team', f: ListFilters): string {
	const params = new URLSearchParams();
	if (scope === 'team') params.set('scope', 'team');
	if (f.status.length) params.set('status', f.status.join(','));
	if (f.priority.length) params.set('priority', f.priority.join(','));
	if (f.q) params.set('q', f.q);
	if (f.mine) params.set('mine', '1');
	if (f.sort) params.set('sort', f.sort);
	const query = params.toString();
	return query ? `/tickets?${query}` : '/tickets';
}

/** What the API stores for a saved filter; "mine" is kept as the person's own id, which is what the list asks for. */
export function toCriteria(scope: 'mine' | 'team', f: ListFilters, userId: number): SavedFilterCriteria {
	return {
		scope,
		...(f.status.length ? { status: f.status } : {}),
		...(f.priority.length ? { priority: f.priority } : {}),
		...(f.q ? { q: f.q } : {}),
		...(f.mine ? { assigneeId: userId } : {}),
		...(f.sort ? { sort: f.sort } : {})
	};
}

export function fromCriteria(c: SavedFilterCriteria, userId: number): { scope: 'mine' | 'team'; filters: ListFilters } {
	return {
		scope: c.scope === 'team' ? 'team' : 'mine',
		filters: {
			status: c.status ?? [],
			priority: c.priority ?? [],
			q: c.q ?? '',
			mine: c.assigneeId === userId,
			sort: SORTS.find((s) => s.value === c.sort)?.value ?? ''
		}
	};
}
