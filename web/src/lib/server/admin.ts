import { fail, type Cookies } from '@sveltejs/kit';
import { ApiError } from './api';
import { fieldErrors } from './forms';
import { api } from './session';

/**
 * The admin console's writes. Every edit carries the version it was made on; a stale one
 * is answered with who changed it and when ("changed by Dana Director at 10:42 — reload to
 * see it", from the audit log), and the API's per-field messages come back keyed by field
 * so each lands beside its input.
 */

interface AdminEvent {
	cookies: Cookies;
	locals: App.Locals;
	url: URL;
}

export interface AuditEntry {
	id: number;
	actorId: number;
	actorName: string | null;
	entity: string;
	entityId: string;
	action: string;
	before: unknown;
	after: unknown;
	at: string;
}

/** Who last changed an entity and when, in words; a fallback when the log cannot say. */
export async function lastChange(event: AdminEvent, entity: string, entityId?: string | number): Promise<string> {
	try {
		const query = new URLSearchParams({ entity, limit: '1' });
		if (entityId !== undefined) query.set('entityId', String(entityId));
		const { data } = await api(event).get<AuditEntry[]>(`/admin/audit?${query}`);
		const last = data[0];
		if (last) {
			const at = new Date(last.at);
			const time = at.toISOString().slice(11, 16);
			const sameDay = at.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10);
			return `changed by ${last.actorName ?? `person #${last.actorId}`} at ${time} UTC${sameDay ? '' : ` on ${at.toISOString().slice(0, 10)}`}`;
		}
	} catch {
		/* the log is for admins; without it the message is still right, only less precise */
	}
	return 'changed by someone else meanwhile';
}

export type WriteMethod = 'POST' | 'PUT' | 'DELETE';

/**
 * Sends one admin change. Success returns the API's data; a refusal returns the form
 * failure the console shows (summary, per-field errors, and for a stale version who
 * changed it), with `form` naming which form on the page it belongs to.
 */
export async function adminWrite<T>(
	event: AdminEvent,
	method: WriteMethod,
	path: string,
	body: unknown,
	context: { form: string; entity: string; entityId?: string | number }
) {
	const client = api(event);
	try {
		const result = method === 'POST' ? await client.post<T>(path, body) : method === 'PUT' ? await client.put<T>(path, body) : await client.del<T>(path);
		return { ok: true as const, data: result.data };
	} catch (err) {
		if (!(err instanceof ApiError)) throw err;
		if (err.status === 409 && err.code === 'STALE_VERSION') {
			const who = await lastChange(event, context.entity, context.entityId);
			return {
				ok: false as const,
				failure: fail(409, { form: context.form, conflict: true, message: `This was ${who} — reload to see it. Your change was not saved.`, errors: {} as Record<string, string> })
			};
		}
		return { ok: false as const, failure: fail(err.status, { form: context.form, conflict: false, message: err.message, errors: fieldErrors(err) }) };
	}
}

/** A JSON payload a console form sent in its hidden `payload` input, or a 400 naming it. */
export function payloadOf(data: FormData, form: string) {
	try {
		return { ok: true as const, value: JSON.parse(String(data.get('payload') ?? '')) as Record<string, unknown> };
	} catch {
		return { ok: false as const, failure: fail(400, { form, conflict: false, message: 'The form could not be read; reload the page and try again.', errors: {} as Record<string, string> }) };
	}
}

/**
 * A console form action from end to end: reads the form's JSON `payload`, sends it, and
 * answers either the failure the form shows or `{ form, saved }` with the success message.
 */
export async function savePayload<T>(
	event: AdminEvent & { request: Request },
	method: WriteMethod,
	path: string,
	context: { form: string; entity: string; entityId?: string | number; saved: string | ((data: T) => string) }
) {
	const payload = payloadOf(await event.request.formData(), context.form);
	if (!payload.ok) return payload.failure;
	const result = await adminWrite<T>(event, method, path, payload.value, context);
	if (!result.ok) return result.failure;
	return { form: context.form, saved: typeof context.saved === 'string' ? context.saved : context.saved(result.data) };
}

export const isAdmin = (roles: readonly string[]) => roles.includes('admin');
