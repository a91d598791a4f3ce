import * as otel from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { routeTemplate } from './metrics';
import { redactPath } from './redact';

/**
 * One SERVER span per API request, the root of the trace its Temporal calls join (or a child
 * of the caller's, when it sends a W3C `traceparent`). The span is made current for the rest
 * of the request, and the request and response emitters are bound to it, so handlers resumed
 * from stream events (body parsing, uploads) still start their Temporal calls under it.
 * Without a registered tracer provider (tracing off) every call here is OpenTelemetry's no-op.
 */
export function httpTracing(): RequestHandler {
  const tracer = otel.trace.getTracer('durable-ticketing-api');
  return (req, res, next) => {
    const parent = otel.propagation.extract(otel.ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method}`,
      { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': redactPath(req.path) } },
      parent,
    );
    const active = otel.trace.setSpan(parent, span);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeTemplate(req);
      // The route is known only once routing is done: "POST /api/v1/tickets", never the raw path with ids in it.
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    otel.context.bind(active, req);
    otel.context.bind(active, res);
    otel.context.with(active, next);
  };
}
