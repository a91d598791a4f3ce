import crypto from 'node:crypto';
import type http from 'node:http';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Readiness } from './health';
import type { Metrics } from './metrics';

/**
 * /healthz, /readyz and /metrics, the same on the API and the worker. /healthz answers as
 * long as the process does (restart it when it doesn't); /readyz answers 503 with the failing
 * checks while it should get no traffic; /metrics is Prometheus' text format.
 */
export function createOpsRouter(opts: {
  readiness: Readiness;
  metrics: Metrics;
  metricsToken?: string;
  /** Extra exposition text appended to /metrics (the worker adds Temporal Core's series). */
  extraMetrics?: () => Promise<string>;
  logger: Logger;
}): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await opts.readiness.check();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  router.get('/metrics', async (req, res) => {
    if (opts.metricsToken) {
      const given = Buffer.from(req.headers.authorization ?? '');
      const expected = Buffer.from(`Bearer ${opts.metricsToken}`);
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer').end();
        return;
      }
    }
    let text: string;
    try {
      text = await opts.metrics.registry.metrics();
    } catch (err) {
      // A read-model gauge failed (database down): serve what the process itself knows rather than nothing.
      opts.logger.warn({ err }, 'metrics: a collector failed');
      text = '';
    }
    if (opts.extraMetrics) text += await opts.extraMetrics().catch(() => '');
    res.set('Content-Type', opts.metrics.registry.contentType).send(text);
  });
  return router;
}

/**
 * Stops a server without losing requests: readiness turns false first, then the server stops
 * accepting connections, idle keep-alive connections close, and requests in flight finish.
 * Whatever is still open after the grace period is cut (and said so in the log).
 */
export async function closeGracefully(server: http.Server, opts: { graceMs: number; logger: Logger; readiness?: Readiness }): Promise<void> {
  opts.readiness?.markStopping();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.graceMs);
  });
  const outcome = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    opts.logger.warn({ graceMs: opts.graceMs }, 'requests still open after the shutdown grace period; closing them');
    server.closeAllConnections();
    await closed;
  }
}
