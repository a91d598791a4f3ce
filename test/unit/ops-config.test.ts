import { loadConfig } from '../../lib/config';
import { DEFAULT_WORKER_SLOTS, loadOpsConfig } from '../../lib/ops-config';

describe('operations configuration', () => {
  test('the local issuer can be known by a public URL (its tokens\' iss) and reached by the API at an internal one', () => {
    const config = loadConfig({ IDENTITY_MODE: 'local', IDENTITY_PUBLIC_URL: 'http://localhost:3002', IDENTITY_INTERNAL_URL: 'http://identity:3002/', IDENTITY_HOST: '0.0.0.0' });
    expect(config.identity).toMatchObject({
      issuerUrl: 'http://localhost:3002/',
      jwksUri: 'http://identity:3002/.well-known/jwks.json',
      localHost: '0.0.0.0',
      local: true,
    });
  });

  test('without those settings the issuer stays on loopback and the API fetches its discovery document as before', () => {
    const config = loadConfig({ IDENTITY_MODE: 'local' });
    expect(config.identity).toMatchObject({ issuerUrl: 'http://127.0.0.1:3002/', jwksUri: undefined, localHost: '127.0.0.1' });
  });

  test('an Auth0 tenant ignores the local issuer\'s internal URL', () => {
    const config = loadConfig({ AUTH0_DOMAIN: 'tenant.eu.auth0.com', IDENTITY_INTERNAL_URL: 'http://identity:3002' });
    expect(config.identity).toMatchObject({ issuerUrl: 'https://tenant.eu.auth0.com/', jwksUri: undefined, local: false });
  });

  test('ops settings parse with safe defaults and name the variable that is wrong', () => {
    expect(loadOpsConfig({})).toMatchObject({
      workerHttp: { host: '127.0.0.1', port: 0 },
      tracing: { exporter: 'none' },
      corsOrigins: [],
      shutdownGraceMs: 30_000,
      versioning: { deploymentName: 'durable-ticketing', buildId: undefined },
      retention: { attachmentDays: undefined },
    });
    expect(loadOpsConfig({ CORS_ORIGINS: 'https://a.example/, https://b.example', WORKER_BUILD_ID: '2026.12.0' })).toMatchObject({
      corsOrigins: ['https://a.example', 'https://b.example'],
      versioning: { buildId: '2026.12.0' },
    });
    expect(loadOpsConfig({}).workerSlots).toEqual(DEFAULT_WORKER_SLOTS);
    expect(loadOpsConfig({ WORKER_MAX_WORKFLOW_TASKS: '2', WORKER_MAX_LOCAL_ACTIVITIES: '4', WORKER_MAX_ACTIVITIES: '64' }).workerSlots).toEqual({ workflowTasks: 2, localActivities: 4, activities: 64 });
    expect(loadOpsConfig({ WORKER_MAX_WORKFLOW_TASKS: '', WORKER_MAX_LOCAL_ACTIVITIES: '', WORKER_MAX_ACTIVITIES: '' }).workerSlots).toEqual(DEFAULT_WORKER_SLOTS);
    // One slot would leave one poller, which Temporal's core refuses at start.
    expect(() => loadOpsConfig({ WORKER_MAX_WORKFLOW_TASKS: '1' })).toThrow(/WORKER_MAX_WORKFLOW_TASKS/);
    expect(() => loadOpsConfig({ WORKER_MAX_LOCAL_ACTIVITIES: '0' })).toThrow(/WORKER_MAX_LOCAL_ACTIVITIES/);
    expect(() => loadOpsConfig({ WORKER_MAX_ACTIVITIES: 'many' })).toThrow(/WORKER_MAX_ACTIVITIES/);
    expect(() => loadOpsConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => loadOpsConfig({ TEMPORAL_METRICS_BIND: '9464' })).toThrow(/TEMPORAL_METRICS_BIND: must be host:port/);
  });
});
