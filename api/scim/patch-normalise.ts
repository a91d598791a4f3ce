import { ENTERPRISE } from './users';

/** The enterprise extension's attributes this provider keeps (the rest are truncated from its schema in users.ts). */
const ENTERPRISE_ATTRIBUTES = ['employeeNumber', 'department', 'manager'];

type Operation = { op?: unknown; path?: unknown; value?: unknown } & Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const sameUrn = (path: unknown) => typeof path === 'string' && path.trim().toLowerCase() === ENTERPRISE.toLowerCase();

/**
 * Rewrites PatchOp operations that address the whole enterprise extension object into operations
 * on its attributes, before SCIMMY's PatchOp sees them. Why: SCIMMY 1.x resolves the extension URN
 * to the extension's frozen schema instance, so `add`/`replace` with `path: "<URN>"` fail with
 * "Cannot add property schemas, object is not extensible" and `remove` with "Cannot convert
 * undefined or null to object" - yet RFC 7644 §3.5.2 allows all three (Entra ID and Okta send them,
 * and scim2-tester checks them). The rewrite is exactly the RFC's meaning for a complex attribute:
 * add/replace set the sub-attributes given and leave the others (§3.5.2.1, §3.5.2.3), and remove
 * unsets every sub-attribute (§3.5.2.2). A path-less value keyed by the URN is left alone: SCIMMY
 * already walks that per attribute.
 */
export function normaliseUserPatch(body: unknown): unknown {
  if (!isObject(body) || !Array.isArray(body.Operations)) return body;
  const operations = (body.Operations as unknown[]).flatMap((raw): unknown[] => {
    if (!isObject(raw)) return [raw];
    const operation = raw as Operation;
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : '';
    if (!sameUrn(operation.path)) return [raw];
    if (op === 'remove' && operation.value === undefined) {
      return ENTERPRISE_ATTRIBUTES.map((name) => ({ op: operation.op, path: `${ENTERPRISE}:${name}` }));
    }
    if ((op === 'add' || op === 'replace') && isObject(operation.value)) {
      // An empty object still reaches SCIMMY as one operation, so that a client's no-op is not silently dropped from the count.
      const entries = Object.entries(operation.value).filter(([name]) => name !== 'schemas');
      if (entries.length === 0) return [{ op: operation.op, value: { [ENTERPRISE]: {} } }];
      return entries.map(([name, value]) => ({ op: operation.op, path: `${ENTERPRISE}:${name}`, value }));
    }
    return [raw];
  });
  return { ...body, Operations: operations };
}
