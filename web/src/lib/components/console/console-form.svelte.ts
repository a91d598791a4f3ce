import type { SubmitFunction } from '@sveltejs/kit';

/** What a console form action answers (see `$lib/server/admin`): a refusal, a conflict, or what was saved. */
export interface ConsoleResult {
	form?: string;
	conflict?: boolean;
	message?: string;
	errors?: Record<string, string>;
	saved?: string;
}

/**
 * One console form's submit state: `enhance` keeps what was typed when the action answers
 * (a refused edit stays on screen to be corrected), `saving` disables the button meanwhile,
 * and `errors` holds the API's per-field messages only when the answer is this form's —
 * a page with several forms shows each refusal beside its own inputs.
 */
export function consoleForm(name: () => string, result: () => ConsoleResult | null | undefined) {
	let saving = $state(false);
	const mine = $derived.by(() => {
		const r = result();
		return r?.form === name() ? r : null;
	});
	const enhance: SubmitFunction = () => {
		saving = true;
		return async ({ update }) => {
			await update({ reset: false });
			saving = false;
		};
	};
	return {
		enhance,
		get saving() {
			return saving;
		},
		get errors(): Record<string, string> {
			return mine?.errors ?? {};
		},
		get saved(): string | null {
			return mine?.saved ?? null;
		}
	};
}
