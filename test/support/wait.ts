/**
 * Waiting in tests: every wait has a deadline, and reaching it is a failure that says what
 * was awaited and what was last seen, never a silent return into the next assertion.
 */
export class WaitTimeout extends Error {}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until `done(value)` holds and returns that value; throws at the deadline
 * with `what` and the last value seen.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T> | T,
  done: (value: T) => boolean = Boolean,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen = lastError !== undefined ? `the probe failed: ${String(lastError)}` : `last seen: ${describe(last)}`;
      throw new WaitTimeout(`Timed out after ${timeoutMs} ms waiting for ${what} (${seen})`);
    }
    await pause(intervalMs);
  }
}

/** A promise that must settle within `timeoutMs`, or the test fails naming what it awaited. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeout(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
