/**
 * The import's column rules, applied in the browser to the first rows of the chosen file
 * so mapping mistakes show before anything is uploaded. The API (api/imports/rows.ts)
 * stays the judge of every row; test/unit/import-preview.test.ts keeps these lists equal
 * to its own.
 */

export const REQUIRED_COLUMNS = ['external_id', 'requester_email', 'title', 'description', 'category'] as const;
export const OPTIONAL_COLUMNS = ['priority'] as const;
const CUSTOM_FIELD_COLUMN = /^cf\.(\w{1,64})$/;
const PRIORITY = /^(critical|high|medium|low|p[1-4])?$/i;

export interface ProblemCell {
	/** 0 for the header; otherwise the file's row number as the API counts it (first data row = 1). */
	row: number;
	column: string;
	message: string;
}

export interface PreviewCategory {
	id: number;
	code: string;
	name: string;
	fields: Array<{ key: string }>;
}

/** Header problems: missing required columns, duplicates, unknown columns, custom fields no category has. */
export function headerProblems(columns: string[], categories: PreviewCategory[]): ProblemCell[] {
	const problems: ProblemCell[] = REQUIRED_COLUMNS.filter((c) => !columns.includes(c)).map((column) => ({ row: 0, column, message: 'is a required column' }));
	const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
	const fieldKeys = new Set(categories.flatMap((c) => c.fields.map((f) => f.key)));
	const seen = new Set<string>();
	for (const column of columns) {
		if (seen.has(column)) problems.push({ row: 0, column, message: 'appears twice in the header' });
		seen.add(column);
		const custom = CUSTOM_FIELD_COLUMN.exec(column);
		if (custom) {
			if (!fieldKeys.has(custom[1]!)) problems.push({ row: 0, column, message: 'names a custom field no category has' });
		} else if (!known.has(column)) problems.push({ row: 0, column, message: 'is not a recognised column (use cf.<key> for custom fields)' });
	}
	return problems;
}

/** What can be told about a preview row without the directory: empty required cells, unknown category or priority. */
export function rowProblems(row: Record<string, string>, rowNumber: number, categories: PreviewCategory[]): ProblemCell[] {
	const problems: ProblemCell[] = [];
	for (const column of REQUIRED_COLUMNS) {
		if (column in row && !row[column]?.trim()) problems.push({ row: rowNumber, column, message: 'is required' });
	}
	const category = row.category?.trim().toLowerCase();
	if (category && !categories.some((c) => String(c.id) === category || c.code.toLowerCase() === category || c.name.toLowerCase() === category)) {
		problems.push({ row: rowNumber, column: 'category', message: 'is not a known category (id, code or name)' });
	}
	if (row.priority !== undefined && !PRIORITY.test(row.priority.trim())) {
		problems.push({ row: rowNumber, column: 'priority', message: 'must be critical, high, medium, low or P1–P4' });
	}
	return problems;
}
