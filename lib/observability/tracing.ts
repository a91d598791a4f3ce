import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { OpsConfig } from '../ops-config';

/**
 * OpenTelemetry traces through Temporal's own interceptors: a request's span in the API
 * continues into the workflow (as a workflow span exported through a sink, since workflow
 * code cannot do I/O) and into its activities on whichever worker runs them.
 * The exporter comes from OTEL_TRACES_EXPORTER: none, console, or otlp (the OTLP/HTTP
 * exporter reads the standard OTEL_EXPORTER_OTLP_* variables).
 */
export interface Tracing {
  enabled: boolean;
  /** For `new Client({ interceptors: { workflow: … } })`. */
  clientInterceptors: OpenTelemetryWorkflowClientInterceptor[];
  /** Merged into Worker.create options. */
  workerOptions: Pick<WorkerOptions, 'sinks'> & { workflowModules: string[]; activity: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']> };
  shutdown(): Promise<void>;
}

const WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export function createTracing(config: OpsConfig['tracing'], service: string): Tracing {
  if (config.exporter === 'none') {
    return { enabled: false, clientInterceptors: [], workerOptions: { workflowModules: [], activity: [] }, shutdown: async () => {} };
  }
  const resource = new Resource({ 'service.name': config.serviceName ?? `durable-ticketing-${service}` });
  const processor: SpanProcessor =
    config.exporter === 'console' ? new SimpleSpanProcessor(new ConsoleSpanExporter()) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  provider.register();
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
      otel.trace.disable();
    },
  };
}
