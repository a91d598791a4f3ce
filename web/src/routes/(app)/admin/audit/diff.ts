/** The top-level keys whose values differ between before and after, with both values as text. */
export function changes(before: unknown, after: unknown): Array<{ key: string; before: string; after: string }> {
	const a = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
	const b = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
	const text = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
	return [...new Set([...Object.keys(a), ...Object.keys(b)])]
		.filter((key) => key !== 'version' && JSON.stringify(a[key]) !== JSON.stringify(b[key]))
		.map((key) => ({ key, before: text(a[key]), after: text(b[key]) }));
}
