import type { BulkOutcome } from './contract/types';
import { toApiError } from './errors';

/**
 * Runs one operation per ticket, a few at a time, and reports each outcome: one ticket's
 * refusal (409, 404…) never hides or undoes the others', and the caller sees which is which.
 */
export async function forEachTicket(numbers: number[], run: (number: number) => Promise<unknown>, concurrency = 5): Promise<BulkOutcome[]> {
  const unique = [...new Set(numbers)];
  const results: BulkOutcome[] = [];
  for (let i = 0; i < unique.length; i += concurrency) {
    const batch = unique.slice(i, i + concurrency);
    results.push(
      ...(await Promise.all(
        batch.map(async (number) => {
          try {
            await run(number);
            return { number, status: 200 };
          } catch (err) {
            const apiError = toApiError(err);
            if (!apiError) throw err;
            return { number, status: apiError.status, code: apiError.code, message: apiError.message };
          }
        }),
      )),
    );
  }
  return results;
}
