import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** The raw baselines the benchmark compares the product with, on the same dev server. */
export const pingUpdate = defineUpdate<number, [number]>('ping');

/** Nothing at all: what a bare `client.workflow.start` costs. */
export async function emptyWorkflow(): Promise<void> {}

/** Answers each Update at once: what a bare Update round trip costs. */
export async function echoWorkflow(): Promise<void> {
  setHandler(pingUpdate, (n) => n);
  await condition(() => false);
}
