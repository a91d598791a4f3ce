import { buildOpenApi, OPERATIONS } from '../../api/openapi';
import { servedRoutes } from '../support/routes';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

describe('OpenAPI document', () => {
  test('when it is fetched without a token, then it is an OpenAPI 3.1 document with every operation', async () => {
    const response = await fetch(`${h.apiUrl}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as ReturnType<typeof buildOpenApi>;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort());
  });

  test('when the served routes are listed, then they are exactly the documented operations', () => {
    expect(servedRoutes(h.app)).toEqual(OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort());
  });

  test('when a documented body schema is violated, then the handler refuses the same fields the document requires', async () => {
    const doc = buildOpenApi();
    const create = doc.paths['/tickets']!.post as { requestBody: { content: { 'application/json': { schema: { required: string[] } } } } };
    const required = create.requestBody.content['application/json'].schema.required;
    expect(required.sort()).toEqual(['categoryId', 'description', 'title']);
    const response = await h.request('POST', '/tickets', { as: 'emma', body: {} });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(required);
  });
});
