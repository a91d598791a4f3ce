/**
 * A secret that travels in a path, an approval link's token (`/approval-links/<token>`), as it
 * may be written to a log line or a trace span: redacted wherever it stands in the path or full
 * URL, however it is cased (Express routes the link without regard to case).
 */
export function redactPath<T extends string | undefined>(path: T): T {
  return (typeof path === 'string' ? path.replace(/\/approval-links\/[^/?#]+/gi, '/approval-links/[redacted]') : path) as T;
}
