import { fail, type RequestEvent } from '@sveltejs/kit';
import { ApiError } from './api';
import { adminWrite } from './admin';
import { api } from './session';
import type { ApplyPreview } from '$lib/components/console/apply-preview';

/**
 * Publish and "apply to open tickets" for the console's SLA policy and calendar pages: the
 * same two form actions on both, against `/admin/{calendars|sla-policies}/{id}/…`.
 */

type Kind = 'calendars' | 'sla-policies';
const ENTITY: Record<Kind, string> = { calendars: 'business_calendar', 'sla-policies': 'sla_policy' };

function idOf(form: FormData): number | null {
	const id = Number(form.get('id'));
	return Number.isInteger(id) && id > 0 ? id : null;
}

/**
 * Which open tickets an apply would move: the administrator's to see before applying (it lists
 * tickets whoever they belong to), so a lead reading the console read-only is not shown one.
 */
export async function applyPreview(
	event: Pick<RequestEvent, 'cookies' | 'locals' | 'url'> & { parent(): Promise<{ readOnly?: boolean }> },
	kind: Kind,
	id: number
): Promise<ApplyPreview | null> {
	const { readOnly } = await event.parent();
	if (readOnly !== false) return null;
	try {
		return (await api(event).get<ApplyPreview>(`/admin/${kind}/${id}/apply-preview`)).data;
	} catch (err) {
		if (err instanceof ApiError) return null;
		throw err;
	}
}

export async function publishAction(event: RequestEvent, kind: Kind) {
	const form = await event.request.formData();
	const id = idOf(form);
	if (id === null) return fail(400, { form: 'publish', conflict: false, message: 'Which one to publish?', errors: {} });
	const note = String(form.get('note') ?? '').trim();
	const result = await adminWrite<{ previousVersion: number; reason: string; openTickets: number }>(
		event,
		'POST',
		`/admin/${kind}/${id}/publish`,
		{ expectedVersion: Number(form.get('expectedVersion')), ...(note ? { note } : {}) },
		{ form: `publish-${id}`, entity: ENTITY[kind], entityId: id }
	);
	if (!result.ok) return result.failure;
	const { previousVersion, reason, openTickets } = result.data;
	return {
		form: `publish-${id}`,
		saved: `Published v${previousVersion + 1} (${reason}). New tickets start with it; ${openTickets} open ticket(s) keep v${previousVersion} or older unless you apply it to them.`
	};
}

export async function applyAction(event: RequestEvent, kind: Kind) {
	const form = await event.request.formData();
	const id = idOf(form);
	if (id === null) return fail(400, { form: 'apply', conflict: false, message: 'Which one to apply?', errors: {} });
	const note = String(form.get('note') ?? '').trim();
	const result = await adminWrite<{ version: number; openTickets: number; moving: number; fanOut: { workflowId: string } }>(
		event,
		'POST',
		`/admin/${kind}/${id}/apply-to-open`,
		note ? { note } : {},
		{ form: `apply-${id}`, entity: ENTITY[kind], entityId: id }
	);
	if (!result.ok) return result.failure;
	const { version, openTickets, moving, fanOut } = result.data;
	return {
		form: `apply-${id}`,
		saved: `Applying v${version} to ${openTickets} open ticket(s) (${moving} due instant change(s) expected) in the background: workflow ${fanOut.workflowId}. Each ticket records why its deadlines moved.`
	};
}
