import http from 'node:http';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import express from 'express';
import type { Logger } from 'pino';
import type { Readiness } from '../lib/observability/health';
import { createOpsRouter } from '../lib/observability/http';
import type { Metrics } from '../lib/observability/metrics';
import type { ProjectionBatch } from '../workflows/definitions';

/**
 * Counts every activity attempt by outcome, and for projections the lag between the ticket
 * change (the newest event's time, taken from the workflow's clock) and its commit to the read model.
 */
export function activityMetricsInterceptor(metrics: Metrics): ActivityInterceptorsFactory {
  return (ctx: ActivityContext) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        try {
          const result = await next(input);
          metrics.activityRuns.inc({ activity, outcome: 'completed' });
          // projectAndNotify's lag includes recording its notifications, which the ticket's answer waits for too.
          if (activity === 'projectTicket' || activity === 'projectAndNotify') {
            const batch = input.args[0] as ProjectionBatch | undefined;
            const newest = Math.max(...(batch?.events ?? []).map((e) => Date.parse(e.occurredAt)).filter(Number.isFinite), Date.parse(batch?.ticket.updatedAt ?? ''));
            if (Number.isFinite(newest)) metrics.projectionLag.observe(Math.max(0, (Date.now() - newest) / 1000));
          }
          return result;
        } catch (err) {
          metrics.activityRuns.inc({ activity, outcome: 'failed' });
          throw err;
        }
      },
    };
    return { inbound };
  };
}

/**
 * The worker's small HTTP server: /healthz, /readyz and /metrics (this process' series plus
 * Temporal Core's worker metrics, fetched from the Core exporter's bind address). Loopback by default.
 */
export async function startWorkerHttpServer(opts: {
  host: string;
  port: number;
  readiness: Readiness;
  metrics: Metrics;
  metricsToken?: string;
  coreMetricsUrl?: string;
  logger: Logger;
}): Promise<{ server: http.Server; url: string }> {
  const app = express();
  app.disable('x-powered-by');
  const coreMetricsUrl = opts.coreMetricsUrl;
  app.use(
    createOpsRouter({
      readiness: opts.readiness,
      metrics: opts.metrics,
      metricsToken: opts.metricsToken,
      logger: opts.logger,
      extraMetrics: coreMetricsUrl
        ? async () => {
            const response = await fetch(coreMetricsUrl, { signal: AbortSignal.timeout(2_000) });
            return response.ok ? `\n${await response.text()}` : '';
          }
        : undefined,
    }),
  );
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as { port: number };
  return { server, url: `http://${opts.host}:${address.port}` };
}
