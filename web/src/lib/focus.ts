import { tick } from 'svelte';

/**
 * After a refused submit, moves focus to the first field marked invalid, or else to the
 * form's error message: the submit button was disabled while sending, which dropped focus
 * to the page, and a keyboard or screen-reader user should land where the problem is.
 */
export async function focusProblem(form: HTMLFormElement): Promise<void> {
	await tick();
	const target = form.querySelector<HTMLElement>('[aria-invalid="true"]') ?? form.querySelector<HTMLElement>('[role="alert"]');
	if (!target) return;
	if (!target.matches('input, select, textarea, button')) target.tabIndex = -1;
	target.focus();
}
