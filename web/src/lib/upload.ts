import type { AttachmentView } from '$contract/types';

export type UploadOutcome = { ok: true; attachment: AttachmentView } | { ok: false; message: string };

/**
 * Sends one file to a ticket with XMLHttpRequest, the one browser API that reports upload
 * progress. One file per request: the API refuses a request as a whole, and a person
 * should see which of their files was refused and why, next to that file.
 */
export function uploadFile(number: number, file: File, visibility: 'public' | 'internal', onProgress: (fraction: number) => void): Promise<UploadOutcome> {
	return new Promise((resolve) => {
		const body = new FormData();
		body.append('visibility', visibility);
		body.append('file', file, file.name);
		const xhr = new XMLHttpRequest();
		xhr.open('POST', `/tickets/${number}/files`);
		xhr.setRequestHeader('accept', 'application/json');
		xhr.upload.onprogress = (event) => {
			if (event.lengthComputable) onProgress(event.loaded / event.total);
		};
		xhr.onload = () => {
			let envelope: { success?: boolean; data?: AttachmentView[]; error?: { message?: string; details?: Array<{ message: string }> } } | undefined;
			try {
				envelope = JSON.parse(xhr.responseText);
			} catch {
				envelope = undefined;
			}
			if (xhr.status >= 200 && xhr.status < 300 && envelope?.success && envelope.data?.[0]) {
				onProgress(1);
				resolve({ ok: true, attachment: envelope.data[0] });
				return;
			}
			resolve({ ok: false, message: refusalText(xhr.status, file.name, envelope?.error) });
		};
		xhr.onerror = () => resolve({ ok: false, message: 'The upload broke off. Check your connection and try again.' });
		xhr.send(body);
	});
}

/** The API's reason in a person's words; its details name the file, which is already shown beside the message. */
function refusalText(status: number, filename: string, error?: { message?: string; details?: Array<{ message: string }> }): string {
	if (status === 413) return 'Too large: files can be at most 25 MB.';
	const detail = error?.details?.[0]?.message;
	const text = detail ?? error?.message ?? `The upload failed (HTTP ${status}).`;
	return text.startsWith(`${filename}: `) ? text.slice(filename.length + 2) : text;
}

export function fileSize(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
