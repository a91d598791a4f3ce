import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import pino from 'pino';
import { authenticate } from '../api/auth';
import { errorMiddleware } from '../api/errors';
import type { Account } from '../lib/accounts';
import { DEPARTMENT_CLAIM, EMAIL_CLAIM, NAME_CLAIM, ROLES_CLAIM, TEAMS_CLAIM } from '../lib/claims';
import type { Config } from '../lib/config';
import { createOrganisation } from '../lib/db/organisation';
import { runTs, type RunningChild } from './support/child-process';
import type { IdentityFixtureSetup } from './support/identity-fixture';
import { CookieBrowser, obtainAccessToken, type LoginOptions } from './support/oidc-login';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const AUDIENCE = 'https://api.ticketing.local';
const OTHER_AUDIENCE = 'https://payroll.example';
const CLIENT_ID = 'ticketing-portal';
const PORTAL = 'http://127.0.0.1:3000';
const REDIRECT_URI = `${PORTAL}/auth/callback`;

const emma: Account = {
  sub: 'local|emma',
  email: 'emma@example.com',
  name: 'Emma Employee',
  roles: ['requester'],
  teams: [],
  department: 'FIN',
  title: 'Employee, Finance',
};
const lee: Account = {
  sub: 'local|lee',
  email: 'lee@example.com',
  name: 'Lee <Lead> & Co',
  roles: ['requester', 'agent', 'lead'],
  teams: ['it-service-desk', 'it-infrastructure'],
  department: 'IT',
  title: 'Team lead, IT Service Desk',
};

// First sign-ins through a real Auth0 tenant: subjects the directory does not know yet, linked (or not) by email.
const newcomer: Account = { sub: 'auth0|newcomer', email: 'Nora.Newcomer@example.com', name: 'Nora Newcomer', roles: ['requester'], teams: [] };
const unverified: Account = { sub: 'auth0|unverified', email: 'olga.offline@example.com', name: 'Olga (unverified)', roles: ['requester'], teams: [], emailVerified: false };
const hijacker: Account = { sub: 'auth0|hijacker', email: 'emma@example.com', name: 'Someone with Emma\'s address', roles: ['requester'], teams: [] };

let issuer: RunningChild;
let db: TestDatabase;
let url: string;
let issuerUrl: string;
let api: http.Server;
let apiUrl: string;

function login(overrides: Partial<LoginOptions>) {
  return obtainAccessToken({ issuerUrl, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, audience: AUDIENCE, ...overrides });
}

function decode(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
  return { header: header!, payload: payload! };
}

function callApi(path: string, token: string) {
  return fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

beforeAll(async () => {
  const setup: IdentityFixtureSetup = {
    audience: AUDIENCE,
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [`${PORTAL}/`] }],
    accounts: [emma, lee, newcomer, unverified, hijacker],
  };
  issuer = runTs('test/support/identity-fixture.ts', { IDENTITY_FIXTURE: JSON.stringify(setup) }, { logPrefix: 'identity' });
  url = String((await issuer.firstJsonLine).url);
  issuerUrl = `${url}/`;

  // The API's own authentication (api/auth.ts) over a real directory, beside a second resource
  // server of another company trusting the same issuer.
  db = await createTestDatabase();
  await db.models.User.bulkCreate(
    [newcomer, unverified].map((a) => ({ name: a.name, email: a.email.toLowerCase(), roles: ['requester'], active: true, auth_subject: null, version: 1 })),
  );
  const identity: Config['identity'] = { mode: 'local', issuerUrl, local: true, localPort: 0, audience: AUDIENCE, clientId: CLIENT_ID };
  const app = express();
  const showClaims = (req: Request, res: Response) => void res.json({ ...req.auth?.payload, principal: req.principal && { id: req.principal.id, email: req.principal.email } });
  app.get('/tickets-api', ...authenticate(identity, createOrganisation(db.models), db.sequelize), showClaims);
  app.use('/tickets-api', errorMiddleware(pino({ level: 'silent' })));
  app.get('/payroll-api', auth({ issuerBaseURL: issuerUrl, audience: OTHER_AUDIENCE }), showClaims);
  app.use((err: { status?: number; headers?: Record<string, string>; message: string }, _req: Request, res: Response, _next: NextFunction) => {
    res
      .status(err.status ?? 500)
      .set(err.headers ?? {})
      .json({ error: err.message });
  });
  api = await new Promise<http.Server>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  api?.closeAllConnections();
  await new Promise((resolve) => (api ? api.close(resolve) : resolve(undefined)));
  await issuer?.stop();
  await db?.drop();
});

describe('local OpenID issuer (Auth0 stand-in)', () => {
  test('when a client reads the discovery document, then the issuer ends in one slash and the endpoints are Auth0 paths', async () => {
    const response = await fetch(`${url}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as Record<string, unknown>;

    expect(discovery).toMatchObject({
      issuer: issuerUrl,
      authorization_endpoint: `${url}/authorize`,
      token_endpoint: `${url}/oauth/token`,
      jwks_uri: `${url}/.well-known/jwks.json`,
      userinfo_endpoint: `${url}/userinfo`,
      end_session_endpoint: `${url}/v2/logout`,
      code_challenge_methods_supported: ['S256'],
    });
  });

  test('when Emma presses her account button, then she gets an RS256 access token for the API carrying her directory claims', async () => {
    const { accessToken, idToken } = await login({ sub: emma.sub });

    const access = decode(accessToken);
    expect(access.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(access.payload).toMatchObject({
      iss: issuerUrl,
      aud: AUDIENCE,
      sub: emma.sub,
      client_id: CLIENT_ID,
      [ROLES_CLAIM]: ['requester'],
      [TEAMS_CLAIM]: [],
      [DEPARTMENT_CLAIM]: 'FIN',
      [EMAIL_CLAIM]: emma.email,
      [NAME_CLAIM]: emma.name,
    });
    expect(Number(access.payload.exp) - Number(access.payload.iat)).toBe(8 * 60 * 60);

    const id = decode(idToken);
    expect(id.header).toMatchObject({ alg: 'RS256' });
    expect(id.payload).toMatchObject({ iss: issuerUrl, aud: CLIENT_ID, sub: emma.sub, email: emma.email, name: emma.name });
  });

  test('when someone types an email address in another case, then they are signed in as the account with that address', async () => {
    const { accessToken } = await login({ email: 'LEE@Example.com' });

    expect(decode(accessToken).payload).toMatchObject({
      sub: lee.sub,
      [ROLES_CLAIM]: lee.roles,
      [TEAMS_CLAIM]: lee.teams,
    });
  });

  test('when the API verifies an issued token, then it accepts it, sees the custom claims and resolves the person in its directory', async () => {
    const { accessToken } = await login({ sub: lee.sub });

    const response = await callApi('/tickets-api', accessToken);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      principal: { email: 'lee@example.com' },
      sub: lee.sub,
      aud: AUDIENCE,
      [ROLES_CLAIM]: ['requester', 'agent', 'lead'],
      [TEAMS_CLAIM]: ['it-service-desk', 'it-infrastructure'],
      [DEPARTMENT_CLAIM]: 'IT',
      [NAME_CLAIM]: 'Lee <Lead> & Co',
    });
  });

  test('when an API with another audience receives the token, then it answers 401', async () => {
    const { accessToken } = await login({ sub: emma.sub });

    const response = await callApi('/payroll-api', accessToken);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(`error_description="Unexpected 'aud' value"`);
  });

  test('when someone edits a token to grant themselves a role, then the API answers 401', async () => {
    const { accessToken } = await login({ sub: emma.sub });
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, [ROLES_CLAIM]: ['requester', 'admin'] })).toString('base64url');

    const response = await callApi('/tickets-api', `${header}.${forged}.${signature}`);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'UNAUTHORIZED', message: 'signature verification failed' });
    expect((await callApi('/tickets-api', accessToken)).status).toBe(200);
  });

  test('when a client asks for an audience the issuer does not know, then it gets invalid_target and no login page', async () => {
    await expect(login({ sub: emma.sub, audience: OTHER_AUDIENCE })).rejects.toMatchObject({
      stage: 'authorize',
      body: expect.stringContaining('error=invalid_target'),
    });
  });

  test('when someone picks an account that does not exist, then the login page comes back with 400 and no code is issued', async () => {
    const attempt = login({ sub: 'local|nobody' });

    await expect(attempt).rejects.toMatchObject({ stage: 'login', status: 400 });
    const page = ((await attempt.catch((err: unknown) => err)) as { body: string }).body;
    expect(page).toContain('<title>Sign in — Durable Ticketing (local identity)</title>');
    expect(page).toContain('role="alert"');
    expect(page).toContain('<button type="submit" name="sub" value="local|emma">Emma Employee — Employee, Finance</button>');
    expect(page).toContain('Lee &lt;Lead&gt; &amp; Co — Team lead, IT Service Desk');
    expect(page).not.toContain('<Lead>');
  });

  test('when the portal signs out the Auth0 way, then the session ends and the browser returns to returnTo', async () => {
    const browser = new CookieBrowser();
    await login({ sub: emma.sub, browser });
    const logoutUrl = new URL(`${url}/v2/logout`);
    logoutUrl.search = new URLSearchParams({ client_id: CLIENT_ID, returnTo: `${PORTAL}/` }).toString();

    const page = await browser.follow(logoutUrl, `${PORTAL}/`);
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(page.body)?.[1];
    const fields = [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map(([, name, value]): [string, string] => [name!, value!]);
    const confirmed = await browser.request(new URL(action!), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

    expect(page.status).toBe(200);
    expect(fields).toContainEqual(['logout', 'yes']);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${PORTAL}/`);
    // Signed out for real: the next sign-in asks who you are again instead of reusing the session.
    const next = await login({ sub: lee.sub, browser });
    expect(decode(next.accessToken).payload.sub).toBe(lee.sub);
  });
  describe('first sign-in of a subject the directory does not know (api/auth.ts)', () => {
    const subjectOf = async (email: string) => (await db.models.User.findOne({ where: { email } }))?.get('auth_subject') ?? null;

    test('when the issuer vouches for the address of a directory entry not yet linked, then the API links that subject to it and signs the person in', async () => {
      const { accessToken } = await login({ sub: newcomer.sub });

      const response = await callApi('/tickets-api', accessToken);

      expect(response.status).toBe(200);
      expect(((await response.json()) as { principal: { email: string } }).principal.email).toBe('nora.newcomer@example.com');
      expect(await subjectOf('nora.newcomer@example.com')).toBe(newcomer.sub);
    });

    test('when the address is not verified, then the API refuses with 403 UNKNOWN_USER and links nothing', async () => {
      const { accessToken } = await login({ sub: unverified.sub });
      expect(decode(accessToken).payload).toMatchObject({ [EMAIL_CLAIM]: unverified.email });

      const response = await callApi('/tickets-api', accessToken);

      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_USER');
      expect(await subjectOf('olga.offline@example.com')).toBeNull();
    });

    test('when a verified address belongs to a person already linked to another subject, then the API refuses and the link is not moved', async () => {
      const { accessToken } = await login({ sub: hijacker.sub });

      const response = await callApi('/tickets-api', accessToken);

      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_USER');
      expect(await subjectOf('emma@example.com')).toBe(emma.sub);
    });
  });
});
