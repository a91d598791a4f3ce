import { fail } from '@sveltejs/kit';
import type { ApiError } from './api';

/** The API's per-field messages keyed by field name; two messages for one field are shown together. */
export function fieldErrors(err: ApiError): Record<string, string> {
	const errors: Record<string, string> = {};
	for (const { field, message } of err.details) errors[field] = errors[field] ? `${errors[field]} ${message}` : message;
	return errors;
}

/** A refused write, answered the way every form in the portal shows it: a summary and per-field messages. */
export function refused<T extends Record<string, unknown>>(err: ApiError, extra: T) {
	return fail(err.status, { ...extra, code: err.code, message: err.message, errors: fieldErrors(err) });
}
