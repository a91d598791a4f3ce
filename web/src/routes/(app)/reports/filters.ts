/**
 * The reports' filters as they live in the page URL (so a view can be shared) and as the
 * API wants them. Unknown or malformed values fall back to defaults rather than erroring:
 * a hand-edited link still shows reports.
 */

export const PRESETS = [
	{ value: '7d', label: 'Last 7 days', days: 7 },
	{ value: '30d', label: 'Last 30 days', days: 30 },
	{ value: '90d', label: 'Last 90 days', days: 90 },
	{ value: '365d', label: 'Last 12 months', days: 365 },
	{ value: 'all', label: 'All time', days: null },
	{ value: 'custom', label: 'Custom dates', days: null }
] as const;

export type Preset = (typeof PRESETS)[number]['value'];

export interface ReportFilters {
	teamId: number | null;
	preset: Preset;
	/** Inclusive calendar days (UTC), `YYYY-MM-DD`; only for the custom preset. */
	from: string;
	to: string;
	period: 'day' | 'month';
	/** Compliance target in percent, drawn as a line on the SLA charts. */
	target: number;
}

export const DEFAULT_TARGET = 90;
const DAY = 86_400_000;
const isDate = (value: string | null): value is string => !!value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

export function parseFilters(params: URLSearchParams): ReportFilters {
	const preset = (PRESETS.find((p) => p.value === params.get('range'))?.value ?? '30d') as Preset;
	const team = Number(params.get('team'));
	const target = Number(params.get('target'));
	const givenFrom = isDate(params.get('from')) ? params.get('from')! : '';
	const givenTo = isDate(params.get('to')) ? params.get('to')! : '';
	// Two days given the wrong way round mean the days between them (the form shows them in order).
	const [from, to] = givenFrom && givenTo && givenFrom > givenTo ? [givenTo, givenFrom] : [givenFrom, givenTo];
	const days = PRESETS.find((p) => p.value === preset)?.days;
	// Long ranges read better by month; the person can still choose.
	const fallbackPeriod = days === null || (days ?? 0) > 90 ? 'month' : 'day';
	const period = params.get('period') === 'day' || params.get('period') === 'month' ? (params.get('period') as 'day' | 'month') : fallbackPeriod;
	return {
		teamId: Number.isInteger(team) && team > 0 ? team : null,
		preset,
		from: preset === 'custom' ? from : '',
		to: preset === 'custom' ? to : '',
		period,
		target: Number.isFinite(target) && target > 0 && target <= 100 ? target : DEFAULT_TARGET
	};
}

/** The instants the API filters `created_at` by: `from` inclusive, `to` exclusive. */
export function range(filters: ReportFilters, now: Date): { from?: string; to?: string } {
	const days = PRESETS.find((p) => p.value === filters.preset)?.days;
	if (days) return { from: new Date(now.getTime() - days * DAY).toISOString() };
	if (filters.preset === 'custom') {
		return {
			from: filters.from ? new Date(`${filters.from}T00:00:00Z`).toISOString() : undefined,
			// The last day chosen is included: the API's bound is exclusive, so it is the next midnight.
			to: filters.to ? new Date(Date.parse(`${filters.to}T00:00:00Z`) + DAY).toISOString() : undefined
		};
	}
	return {};
}

/** Query string for `/reports/:name` (and the ticket export's equivalent names when `forExport`). */
export function apiQuery(filters: ReportFilters, now: Date, forExport = false): URLSearchParams {
	const query = new URLSearchParams();
	const { from, to } = range(filters, now);
	if (forExport) {
		query.set('scope', 'all');
		if (filters.teamId) query.set('teamId', String(filters.teamId));
		if (from) query.set('createdFrom', from);
		if (to) query.set('createdTo', to);
		return query;
	}
	if (filters.teamId) query.set('teamId', String(filters.teamId));
	if (from) query.set('from', from);
	if (to) query.set('to', to);
	query.set('period', filters.period);
	return query;
}

/** The page URL's own query for these filters (used by the download links to carry the view). */
export function pageQuery(filters: ReportFilters): URLSearchParams {
	const query = new URLSearchParams({ range: filters.preset, period: filters.period });
	if (filters.teamId) query.set('team', String(filters.teamId));
	if (filters.preset === 'custom') {
		if (filters.from) query.set('from', filters.from);
		if (filters.to) query.set('to', filters.to);
	}
	if (filters.target !== DEFAULT_TARGET) query.set('target', String(filters.target));
	return query;
}
