import type { Express } from 'express';

interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** "METHOD /path" for every route the Express app serves, with :params written {params} as in OpenAPI. */
export function servedRoutes(app: Express, prefix = '/api/v1'): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], base: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${base}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, base + (typeof layer.rawPath === 'string' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found
    .filter((r) => r.includes(` ${prefix}/`))
    .map((r) => r.replace(` ${prefix}`, ' ').replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1').replace(/:(\w+)/g, '{$1}'))
    .sort();
}
