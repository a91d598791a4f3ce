import type { CustomFieldSpec } from '$contract/types';

/** Form inputs for custom fields are named like the API's error fields, so its messages land next to them. */
export const inputName = (key: string) => `customFields.${key}`;

export type RawValue = string | string[];

/**
 * The submitted values of a category's custom fields, typed as the API expects them.
 * Blank fields are left out; a number that does not parse is passed on as typed so the
 * API, which owns the rules, says what is wrong with it next to the field.
 */
export function readCustomFields(form: FormData, fields: CustomFieldSpec[]) {
	const raw: Record<string, RawValue> = {};
	const values: Record<string, unknown> = {};
	for (const field of fields) {
		const name = inputName(field.key);
		if (field.type === 'multiselect') {
			const chosen = form.getAll(name).map(String);
			raw[field.key] = chosen;
			if (chosen.length > 0) values[field.key] = chosen;
			continue;
		}
		const text = String(form.get(name) ?? '').trim();
		raw[field.key] = text;
		if (text === '') continue;
		const numeric = field.type === 'number' || field.type === 'money' || field.type === 'user';
		values[field.key] = numeric && Number.isFinite(Number(text)) ? Number(text) : text;
	}
	return { raw, values };
}
