/**
 * The subset of Postmark's Mustachio the product's templates use, shared by the local
 * sink (which renders what Postmark would) and the admin validation (which refuses what
 * would not render): `{{path}}` (HTML-escaped in HTML bodies), `{{{path}}}` (never escaped),
 * sections `{{#path}}…{{/path}}` (a list repeats, an object becomes the scope, a truthy
 * value shows once), inverted sections `{{^path}}…{{/path}}`, comments `{{! … }}`, and
 * dotted paths looked up from the innermost scope outwards.
 */
export type Node =
  | { type: 'text'; text: string }
  | { type: 'var'; path: string; raw: boolean }
  | { type: 'section'; path: string; inverted: boolean; children: Node[] };

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const TAG = /\{\{\{([^}]*)\}\}\}|\{\{([#^/!]?)([^}]*)\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function parseTemplate(source: string): Node[] {
  const root: Node[] = [];
  const open: Array<{ path: string; children: Node[] }> = [];
  let current = root;
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    if (match.index > last) current.push({ type: 'text', text: source.slice(last, match.index) });
    last = match.index + match[0].length;
    if (match[1] !== undefined) {
      current.push({ type: 'var', path: checkedPath(match[1], match[0]), raw: true });
      continue;
    }
    const sigil = match[2];
    if (sigil === '!') continue;
    const path = checkedPath(match[3]!, match[0]);
    if (sigil === '#' || sigil === '^') {
      const section: Node = { type: 'section', path, inverted: sigil === '^', children: [] };
      current.push(section);
      open.push({ path, children: current });
      current = section.children;
    } else if (sigil === '/') {
      const top = open.pop();
      if (!top) throw new TemplateSyntaxError(`"{{/${path}}}" closes a section that was never opened`);
      if (top.path !== path) throw new TemplateSyntaxError(`"{{/${path}}}" closes "{{#${top.path}}}"; close the inner section first`);
      current = top.children;
    } else {
      current.push({ type: 'var', path, raw: false });
    }
  }
  if (open.length > 0) throw new TemplateSyntaxError(`"{{#${open[open.length - 1]!.path}}}" is never closed`);
  if (last < source.length) current.push({ type: 'text', text: source.slice(last) });
  return root;
}

function checkedPath(inner: string, tag: string): string {
  const path = inner.trim();
  if (!PATH.test(path)) throw new TemplateSyntaxError(`"${tag}" is not a placeholder (letters, digits, _ and dotted names only)`);
  return path;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function lookup(scopes: unknown[], path: string): unknown {
  const [head, ...rest] = path.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    if (scope !== null && typeof scope === 'object' && Object.prototype.hasOwnProperty.call(scope, head!)) {
      let value: unknown = (scope as Record<string, unknown>)[head!];
      for (const key of rest) {
        value = value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
      }
      return value;
    }
  }
  return undefined;
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

function renderNodes(nodes: Node[], scopes: unknown[], html: boolean): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.text;
    else if (node.type === 'var') {
      const value = lookup(scopes, node.path);
      const text = value === undefined || value === null || typeof value === 'object' ? '' : String(value);
      out += html && !node.raw ? escapeHtml(text) : text;
    } else {
      const value = lookup(scopes, node.path);
      if (node.inverted) {
        if (!truthy(value)) out += renderNodes(node.children, scopes, html);
      } else if (Array.isArray(value)) {
        for (const item of value) out += renderNodes(node.children, [...scopes, item], html);
      } else if (truthy(value)) {
        out += renderNodes(node.children, typeof value === 'object' ? [...scopes, value] : scopes, html);
      }
    }
  }
  return out;
}

/** Renders a template; `html` escapes `{{…}}` values as Postmark does in HtmlBody. */
export function renderTemplate(source: string, model: unknown, options: { html: boolean }): string {
  return renderNodes(parseTemplate(source), [model], options.html);
}

/**
 * What a template's placeholders may name: an object whose keys are the model's fields
 * (nested objects for nested fields, `true` for a value). Lists are described by one item.
 */
export type ModelShape = { [key: string]: true | ModelShape };

/** The problems of a template against the model it will get: syntax errors, then unknown names. */
export function templateProblems(source: string, shape: ModelShape): string[] {
  let nodes: Node[];
  try {
    nodes = parseTemplate(source);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return [err.message];
    throw err;
  }
  const problems = new Set<string>();
  const resolve = (scopes: Array<true | ModelShape>, path: string): true | ModelShape | undefined => {
    const [head, ...rest] = path.split('.');
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i];
      if (scope === true || !Object.prototype.hasOwnProperty.call(scope, head!)) continue;
      let found: true | ModelShape | undefined = scope![head!];
      for (const key of rest) found = found === undefined || found === true || !Object.prototype.hasOwnProperty.call(found, key) ? undefined : found[key];
      return found;
    }
    return undefined;
  };
  const walk = (list: Node[], scopes: Array<true | ModelShape>) => {
    for (const node of list) {
      if (node.type === 'text') continue;
      const found = resolve(scopes, node.path);
      if (found === undefined) {
        problems.add(`{{${node.path}}} is not a known placeholder`);
        continue;
      }
      if (node.type === 'section') walk(node.children, found === true || node.inverted ? scopes : [...scopes, found]);
    }
  };
  walk(nodes, [shape]);
  return [...problems];
}
