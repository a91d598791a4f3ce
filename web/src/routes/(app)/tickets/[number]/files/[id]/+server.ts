import { error } from '@sveltejs/kit';
import { passThrough } from '$lib/server/passthrough';
import type { RequestHandler } from './$types';

/** A download, streamed from the API (which logs it and refuses files held by the malware scan). */
export const GET: RequestHandler = async (event) => {
	if (!/^\d{1,12}$/.test(event.params.number) || !/^[0-9a-f-]{36}$/i.test(event.params.id)) error(404, 'Attachment not found');
	const answer = await passThrough(event, `/tickets/${event.params.number}/attachments/${event.params.id}/content`, []);
	if (answer.ok) return answer;
	// A refusal reads as a page, not as raw JSON in a download.
	const body = (await answer.json().catch(() => undefined)) as { error?: { message?: string; code?: string } } | undefined;
	error(answer.status, { message: body?.error?.message ?? 'The file cannot be downloaded right now.', code: body?.error?.code });
};
