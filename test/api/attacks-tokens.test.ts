import crypto, { type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoSubject } from '../../lib/db/demo-org';
import { AUDIENCE, startHarness, type Harness } from '../support/harness';

/**
 * Forged and misused bearer tokens. The issuer here is a stand-in speaking the OpenID
 * discovery + JWKS protocol (as Auth0 does) whose private key the test holds, so each token
 * differs from a valid one in exactly one way: a correctly signed token with the wrong
 * audience must fail on the audience, not on the signature.
 */
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'standin-key-1';

let issuerServer: http.Server;
let issuer: string;
let h: Harness;

beforeAll(async () => {
  issuerServer = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: `${base}/`, jwks_uri: `${base}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (req.url === '/.well-known/jwks.json') {
      res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}/`;
  // The harness reads the issuer from the environment once, at start; the next test file gets the real one back.
  const real = process.env.TEST_ISSUER_URL;
  process.env.TEST_ISSUER_URL = issuer;
  try {
    h = await startHarness({ worker: false });
  } finally {
    process.env.TEST_ISSUER_URL = real;
  }
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await new Promise((resolve) => issuerServer?.close(resolve));
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(header: Record<string, unknown>, claims: Record<string, unknown>, sign: (input: string) => string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign(input)}`;
}
const rs256 = (key: KeyObject) => (input: string) => crypto.sign('sha256', Buffer.from(input), key).toString('base64url');

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, sub: demoSubject('emma'), aud: AUDIENCE, iat: now, exp: now + 300, scope: 'openid', ...overrides };
}

async function callWith(token: string) {
  const response = await fetch(`${h.apiUrl}/tickets`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: (await response.json()) as any };
}

describe('bearer tokens an attacker can make', () => {
  test('when the token is valid in every respect, then the API accepts it (the control every refusal below differs from in one way)', async () => {
    const answer = await callWith(jwt({ alg: 'RS256', typ: 'JWT', kid: KID }, claims(), rs256(privateKey)));
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const forgeries: Array<[string, () => string]> = [
    ['alg none and no signature', () => jwt({ alg: 'none', typ: 'JWT' }, claims(), () => '')],
    ['alg none with the right kid', () => jwt({ alg: 'none', typ: 'JWT', kid: KID }, claims(), () => '')],
    ['HS256 keyed with the public key (algorithm confusion)', () => jwt({ alg: 'HS256', typ: 'JWT', kid: KID }, claims(), (input) => crypto.createHmac('sha256', publicKey.export({ type: 'spki', format: 'pem' })).update(input).digest('base64url'))],
    ['the wrong audience', () => jwt({ alg: 'RS256', kid: KID }, claims({ aud: 'https://another-api.example' }), rs256(privateKey))],
    ['no audience', () => jwt({ alg: 'RS256', kid: KID }, claims({ aud: undefined }), rs256(privateKey))],
    ['the wrong issuer', () => jwt({ alg: 'RS256', kid: KID }, claims({ iss: 'https://attacker.example/' }), rs256(privateKey))],
    ['expired', () => jwt({ alg: 'RS256', kid: KID }, claims({ iat: now() - 3600, exp: now() - 600 }), rs256(privateKey))],
    ['not valid yet (nbf in an hour)', () => jwt({ alg: 'RS256', kid: KID }, claims({ nbf: now() + 3600 }), rs256(privateKey))],
    ['signed by another key under the issuer’s kid', () => jwt({ alg: 'RS256', kid: KID }, claims(), rs256(other.privateKey))],
    ['signed by another key with its own kid', () => jwt({ alg: 'RS256', kid: 'attacker-key' }, claims(), rs256(other.privateKey))],
    ['a valid signature over different claims (admin swapped in)', () => {
      const [header, , signature] = jwt({ alg: 'RS256', kid: KID }, claims(), rs256(privateKey)).split('.');
      return `${header}.${b64(claims({ sub: demoSubject('admin') }))}.${signature}`;
    }],
    ['a malformed token', () => 'not.a.jwt'],
  ];

  test.each(forgeries)('when the token has %s, then 401 with a Bearer challenge and no data', async (_name, make) => {
    const answer = await callWith(make());
    expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(answer.wwwAuthenticate).toMatch(/^Bearer/);
    expect(answer.body.data).toBeUndefined();
  });

  test('when a correctly signed token names a subject the directory does not know, then 403 UNKNOWN_USER', async () => {
    const answer = await callWith(jwt({ alg: 'RS256', kid: KID }, claims({ sub: 'auth0|someone-else' }), rs256(privateKey)));
    expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status: 403, code: 'UNKNOWN_USER' });
  });

  test('when the token is sent in the query string or as a cookie instead of the header, then it is refused and no data comes back', async () => {
    const token = jwt({ alg: 'RS256', kid: KID }, claims(), rs256(privateKey));
    // A token in a URL ends up in logs and Referer headers: refused outright (400 from the bearer library, RFC 6750 §2.3 not supported).
    const inQuery = await fetch(`${h.apiUrl}/tickets?access_token=${token}`);
    const queryBody = (await inQuery.json()) as any;
    expect([400, 401]).toContain(inQuery.status);
    expect(queryBody.data).toBeUndefined();
    const inCookie = await fetch(`${h.apiUrl}/tickets`, { headers: { cookie: `access_token=${token}` } });
    expect(inCookie.status).toBe(401);
  });
});
