/** The API's report tables as the portal reads them (`GET /reports/:name`). */

export const REPORT_NAMES = ['backlog', 'sla-compliance', 'volume', 'agent-workload', 'approval-turnaround'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export type Cell = string | number | null;

export interface ReportTable {
	report: ReportName;
	columns: string[];
	rows: Cell[][];
}

/** The reports are for leads (their teams), managers (their department) and admins (everything). */
export const readsReports = (roles: readonly string[]): boolean => roles.some((r) => r === 'lead' || r === 'manager' || r === 'admin');

/** A column's values as numbers (SQL sums arrive as strings on some drivers). */
export function column(table: ReportTable, name: string): number[] {
	const index = table.columns.indexOf(name);
	return table.rows.map((row) => Number(row[index] ?? 0));
}

export function texts(table: ReportTable, name: string): string[] {
	const index = table.columns.indexOf(name);
	return table.rows.map((row) => String(row[index] ?? '—'));
}

/** Distinct values in first-seen order. */
export const distinct = (values: string[]): string[] => [...new Set(values)];

/**
 * Rows pivoted to one series per `seriesColumn` over the distinct `xColumn` values:
 * the shape line and stacked-bar charts want. Missing combinations are null (a gap),
 * not zero, where `gaps` is set; zero otherwise.
 */
export function pivot(
	table: ReportTable,
	xColumn: string,
	seriesColumn: string,
	value: (row: Cell[]) => number | null,
	gaps = false
): { labels: string[]; series: Array<{ name: string; values: Array<number | null> }> } {
	const xs = texts(table, xColumn);
	const names = texts(table, seriesColumn);
	const labels = distinct(xs);
	const series = distinct(names).map((name) => ({ name, values: labels.map(() => (gaps ? null : 0)) as Array<number | null> }));
	table.rows.forEach((row, i) => {
		const s = series.find((candidate) => candidate.name === names[i])!;
		const at = labels.indexOf(xs[i]!);
		const v = value(row);
		s.values[at] = v === null ? s.values[at]! : (s.values[at] ?? 0) + v;
	});
	return { labels, series };
}

/** Percentage met of decided (met + breached), or null when nothing was decided in that period. */
export function compliance(met: number, breached: number): number | null {
	const decided = met + breached;
	return decided === 0 ? null : Math.round((met / decided) * 1000) / 10;
}

export const COLUMN_LABELS: Record<string, string> = {
	priority: 'Priority',
	under_1_day: 'Under 1 day',
	days_1_to_3: '1–3 days',
	days_3_to_7: '3–7 days',
	days_7_to_30: '7–30 days',
	over_30_days: 'Over 30 days',
	total: 'Total',
	period: 'Period',
	team: 'Team',
	tickets: 'Tickets',
	first_response_met: 'First response met',
	first_response_breached: 'First response breached',
	resolution_met: 'Resolution met',
	resolution_breached: 'Resolution breached',
	category: 'Category',
	channel: 'Channel',
	agent: 'Agent',
	assigned: 'Assigned',
	in_progress: 'In progress',
	waiting: 'Waiting',
	breached: 'SLA breached',
	open_total: 'Open',
	step: 'Approval step',
	decisions: 'Decisions',
	approved: 'Approved',
	rejected: 'Rejected',
	median_hours: 'Median hours',
	p90_hours: 'p90 hours',
	average_hours: 'Average hours',
	longest_hours: 'Longest hours'
};
