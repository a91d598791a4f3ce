import crypto from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTracing, type Tracing } from '../../lib/observability/tracing';
import { startDevServer } from '../../temporal/dev-server';
import { ticketWorkflowId } from '../../workflows/definitions';
import { startHarness, type Harness } from '../support/harness';
import { freePort } from '../support/ports';
import { waitUntil } from '../support/wait';

/**
 * Traces as an operator sees them: the same tracer provider, Temporal interceptors and
 * workflow span sink as the API and worker processes, with spans kept in memory.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let h: Harness;

beforeAll(async () => {
  tracing = createTracing({ exporter: 'none' }, 'test', { spanExporter: exporter });
  h = await startHarness({ tracing });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await tracing?.shutdown();
});

const spans = () => exporter.getFinishedSpans();
const named = (name: string, where: (s: ReadableSpan) => boolean = () => true) => spans().filter((s) => s.name === name && where(s));
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

describe('OpenTelemetry traces through the API and Temporal', () => {
  test('when a ticket is created over HTTP, then the API span, the workflow start, RunWorkflow and the projection activity are one trace, each the parent of the next', async () => {
    const created = await h.request('POST', '/tickets', {
      as: 'emma',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { title: 'Traced laptop request', description: 'For the trace', categoryId: await h.categoryId('it-laptop'), priority: 'low' },
    });
    expect(created.status).toBe(201);
    const workflowId = ticketWorkflowId(created.body.data.number);
    // RunWorkflow ends (and is exported) when the run does: cancelling the ticket ends it.
    expect((await h.request('POST', `/tickets/${created.body.data.number}/actions/cancel`, { as: 'emma', body: { reason: 'Traced enough' } })).status).toBe(200);

    const [run] = await waitUntil(
      `the RunWorkflow span of ${workflowId}`,
      // The only ticket of this file: RunWorkflow carries no workflow id of its own.
      () => named('RunWorkflow:ticketWorkflow'),
      (found) => found.length === 1,
    );
    const [api] = named('POST /api/v1/tickets', (s) => s.attributes['http.response.status_code'] === 201);
    // Tickets are created with update-with-start (idempotent create): its client span is the workflow's start.
    const [start] = named('UpdateWithStartWorkflow:awaitCreatedUpdate', (s) => s.attributes.temporalWorkflowId === workflowId);
    const scheduled = named('StartActivity:projectTicket', (s) => s.parentSpanId === idOf(run!));
    expect([api, start, scheduled[0]]).toEqual([expect.anything(), expect.anything(), expect.anything()]);
    const [projection] = await waitUntil(
      'the first projection activity span',
      () => named('RunActivity:projectTicket', (s) => s.parentSpanId === idOf(scheduled[0]!)),
      (found) => found.length === 1,
    );

    expect(api!.kind).toBe(1 /* SERVER */);
    expect(api!.parentSpanId).toBeUndefined();
    expect(start!.parentSpanId).toBe(idOf(api!));
    expect(run!.parentSpanId).toBe(idOf(start!));
    expect(scheduled[0]!.parentSpanId).toBe(idOf(run!));
    expect(projection!.parentSpanId).toBe(idOf(scheduled[0]!));
    expect(new Set([api, start, run, scheduled[0], projection].map((s) => traceOf(s!)))).toEqual(new Set([traceOf(api!)]));
    // The workflow's and the activity's spans carry the worker's resource, the API's its own: one trace across services.
    expect(run!.resource.attributes['service.name']).toBe('durable-ticketing-test');
  });

  test('when a caller sends a W3C traceparent, then the API span continues the caller\'s trace', async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const parentId = crypto.randomBytes(8).toString('hex');
    const response = await h.request('GET', '/tickets?scope=mine', { as: 'emma', headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    expect(response.status).toBe(200);
    const [api] = await waitUntil('the API span of the traced list request', () => named('GET /api/v1/tickets', (s) => traceOf(s) === traceId), (found) => found.length === 1);
    expect(api!.parentSpanId).toBe(parentId);
    expect(api!.attributes).toMatchObject({ 'http.route': '/api/v1/tickets', 'http.response.status_code': 200 });
  });

  test.each([
    ['to the console', { OTEL_TRACES_EXPORTER: 'console' }],
    ['over OTLP/HTTP', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }],
  ])('when the services trace %s, then the Temporal dev server still starts beside them', async (_how, tracing) => {
    // The server reads OpenTelemetry's variables too and refused to start on both.
    const env = { ...process.env, ...tracing };
    const server = await startDevServer({ cli: process.env.TEMPORAL_CLI!, port: await freePort(), namespace: 'default', headless: true, env });
    await server.stop();
  }, 90_000);
});

