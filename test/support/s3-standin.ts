import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3StandIn {
  endpoint: string;
  objects: Map<string, Buffer>;
  requests: Array<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
}

const hmac = (key: Buffer | string, data: string) => crypto.createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function xmlError(res: http.ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/**
 * A local S3-compatible store for one bucket, path-style, with PutObject, GetObject,
 * HeadObject and DeleteObject. It checks every request's AWS Signature Version 4
 * exactly as S3 does (canonical request, scope, derived signing key, payload hash), so
 * a client with the wrong secret is refused with SignatureDoesNotMatch.
 */
export async function startS3StandIn(options: { bucket: string; accessKeyId: string; secretAccessKey: string; region: string }): Promise<S3StandIn> {
  const objects = new Map<string, Buffer>();
  const requests: S3StandIn['requests'] = [];

  function verify(req: http.IncomingMessage, body: Buffer): string | undefined {
    const authorization = req.headers.authorization ?? '';
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
    if (!match) return 'AccessDenied';
    const [, accessKey, day, region, signedHeaders, signature] = match as unknown as string[];
    if (accessKey !== options.accessKeyId) return 'InvalidAccessKeyId';
    if (region !== options.region) return 'AuthorizationHeaderMalformed';
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(day!)) return 'AccessDenied';
    const when = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (!Number.isFinite(when) || Math.abs(Date.now() - when) > 15 * 60_000) return 'RequestTimeTooSkewed';
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) return 'XAmzContentSHA256Mismatch';
    const names = signedHeaders!.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) return 'AccessDenied';
    const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const query = rawQuery
      .split('&')
      .filter(Boolean)
      .map((pair) => {
        const [k, v = ''] = pair.split('=', 2) as [string, string?];
        return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))] as const;
      })
      .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const headers = names.map((name) => {
      const value = req.headers[name];
      return `${name}:${(Array.isArray(value) ? value.join(',') : String(value ?? '')).trim().replace(/\s+/g, ' ')}\n`;
    });
    const canonical = [req.method, rawPath, query, headers.join(''), signedHeaders, payloadHash].join('\n');
    const scope = `${day}/${region}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, day!), region!), 's3'), 'aws4_request');
    const expected = hmac(key, stringToSign);
    const given = Buffer.from(signature!, 'hex');
    return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? undefined : 'SignatureDoesNotMatch';
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      res.on('finish', () => requests.push({ method: req.method ?? '', path, status: res.statusCode }));
      const failure = verify(req, body);
      if (failure) return xmlError(res, 403, failure, 'The request signature we calculated does not match the signature you provided.');
      const [, bucket, ...keyParts] = path.split('/');
      if (bucket !== options.bucket) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      const key = keyParts.map(decodeURIComponent).join('/');
      if (!key) return xmlError(res, 400, 'InvalidRequest', 'Bucket operations are not supported here');
      const etag = (b: Buffer) => `"${crypto.createHash('md5').update(b).digest('hex')}"`;
      switch (req.method) {
        case 'PUT':
          if (req.headers['content-length'] !== undefined && Number(req.headers['content-length']) !== body.length) {
            return xmlError(res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length');
          }
          objects.set(key, body);
          res.writeHead(200, { ETag: etag(body) });
          return res.end();
        case 'GET':
        case 'HEAD': {
          const object = objects.get(key);
          if (!object) return req.method === 'HEAD' ? (res.writeHead(404), res.end()) : xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': object.length, ETag: etag(object) });
          return res.end(req.method === 'GET' ? object : undefined);
        }
        case 'DELETE':
          objects.delete(key);
          res.writeHead(204);
          return res.end();
        default:
          return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
