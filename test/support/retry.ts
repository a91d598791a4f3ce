/**
 * The SDK polls a freshly started test server for only ~5 s (not configurable); a JVM
 * starting on two busy cores can take longer. Starting again is the documented remedy.
 */
export async function startWithRetries<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await start();
    } catch (err) {
      lastError = err;
      if (!/did not start within|Failed to start ephemeral server/.test(String(err))) throw err;
      process.stderr.write(`[test setup] test server slow to start (attempt ${attempt} of ${attempts}); retrying\n`);
    }
  }
  throw lastError;
}
