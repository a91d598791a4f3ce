import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { OpsConfig } from '../ops-config';

/**
 * OpenTelemetry traces through Temporal's own interceptors, one trace per request: the API's
 * HTTP span (lib/observability/http-tracing.ts) is the parent of the client's StartWorkflow /
 * UpdateWithStartWorkflow span, whose context travels in the Temporal headers (W3C trace
 * context) to the workflow's RunWorkflow span (exported through a sink, since workflow code
 * cannot do I/O) and on to its activities on whichever worker runs them.
 * The exporter comes from OTEL_TRACES_EXPORTER: none, console, or otlp (the OTLP/HTTP
 * exporter reads the standard OTEL_EXPORTER_OTLP_* variables).
 */
export interface Tracing {
  enabled: boolean;
  /** For `new Client({ interceptors: { workflow: … } })`. */
  clientInterceptors: OpenTelemetryWorkflowClientInterceptor[];
  /**
   * Merged into Worker.create options. `workflowModules` must be in the workflow bundle: a worker
   * that bundles at start gets them through `interceptors.workflowModules`, a pre-built bundle
   * through `bundleWorkflowCode({ workflowInterceptorModules })`.
   */
  workerOptions: Pick<WorkerOptions, 'sinks'> & { workflowModules: string[]; activity: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']> };
  shutdown(): Promise<void>;
}

const WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

const DISABLED: Tracing = { enabled: false, clientInterceptors: [], workerOptions: { workflowModules: [], activity: [] }, shutdown: async () => {} };

/**
 * Registers this process's tracer provider globally, with what joining traces needs: an
 * AsyncLocalStorage context manager (so the span active in a request is the parent of what
 * the request's async code starts) and the W3C trace-context propagator (the format the
 * Temporal interceptors write into and read from headers).
 * `spanExporter` replaces the configured exporter (tests collect spans in memory).
 */
export function createTracing(config: OpsConfig['tracing'], service: string, options: { spanExporter?: SpanExporter } = {}): Tracing {
  if (config.exporter === 'none' && !options.spanExporter) return DISABLED;
  const resource = new Resource({ 'service.name': config.serviceName ?? `durable-ticketing-${service}` });
  const processor: SpanProcessor = options.spanExporter
    ? new SimpleSpanProcessor(options.spanExporter)
    : config.exporter === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  const contextManager = new AsyncLocalStorageContextManager().enable();
  provider.register({
    contextManager,
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  });
  return {
    enabled: true,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    workerOptions: {
      workflowModules: [WORKFLOW_INTERCEPTORS],
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    async shutdown() {
      await provider.shutdown();
      contextManager.disable();
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}
