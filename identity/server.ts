import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { AccountDirectory } from '../lib/accounts';
import { DEPARTMENT_CLAIM, EMAIL_CLAIM, EMAIL_VERIFIED_CLAIM, NAME_CLAIM, ROLES_CLAIM, TEAMS_CLAIM } from '../lib/claims';
import { auth0LogoutParameters, auth0OfflineAccess } from './auth0-compat';
import { interactionRoutes } from './interactions';
import { loadOrCreateKeys } from './keys';
import { errorPage, logoutPage, signedOutPage } from './pages';

export interface IdentityClient {
  clientId: string;
  clientName?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface IdentityServerOptions {
  /** Interface to listen on; loopback unless told otherwise, since nothing here is hardened for a network. */
  host?: string;
  /** 0 picks a free port, which then also replaces the port in `issuer`. */
  port: number;
  /** The issuer's origin, e.g. `http://127.0.0.1:3002`; advertised with one trailing slash, as Auth0 does. */
  issuer: string;
  /** The API's identifier: the `aud` of every access token. */
  audience: string;
  clients: IdentityClient[];
  directory: AccountDirectory;
  /** Where to keep the signing and cookie keys so tokens outlive a restart; in memory when absent. */
  keyFile?: string;
  /** Receives unexpected failures (a pino logger fits); stderr when absent. */
  logger?: { error(details: { err: unknown }, message: string): void };
}

export interface IdentityServer {
  /** The issuer's origin without the trailing slash (the `domain` Auth0 clients are given). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const HOUR = 60 * 60;
/** Long enough for a demo day in the portal without a refresh; tokens stay verifiable offline by the API. */
const ACCESS_TOKEN_TTL = 8 * HOUR;
/** The scopes Auth0 copies into an API access token's `scope` claim. */
const API_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/**
 * A local, standards-compliant OpenID provider standing in for Auth0: the same
 * endpoint paths, RS256 JWT access tokens for the API audience carrying the
 * namespaced role/team claims an Auth0 Action would add, and a demo login page
 * listing the directory's people.
 */
export async function startIdentityServer(opts: IdentityServerOptions): Promise<IdentityServer> {
  const issuer = new URL(opts.issuer);
  if (issuer.pathname !== '/' || issuer.search || issuer.hash) {
    throw new Error(`The issuer must be a bare origin such as http://127.0.0.1:3002, got ${opts.issuer}`);
  }
  // Loaded on demand because oidc-provider is ESM-only and this project compiles to CommonJS.
  const oidcProvider = await import('oidc-provider');
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive sockets from browsers and fetch would otherwise hold close() open.
      server.closeAllConnections();
    });

  const { port } = server.address() as AddressInfo;
  if (opts.port === 0) issuer.port = String(port);
  const url = issuer.origin;
  try {
    server.on('request', createIdentityApp(oidcProvider, `${url}/`, opts));
  } catch (err) {
    await close();
    throw err;
  }
  return { url, port, close };
}

/** The provider configured as an Auth0 look-alike, behind the interaction pages and compatibility rewrites. */
function createIdentityApp(
  { default: Provider, errors }: typeof import('oidc-provider'),
  issuer: string,
  opts: IdentityServerOptions,
): express.Express {
  const { directory, audience } = opts;
  const keys = loadOrCreateKeys(opts.keyFile);

  const configuration: Partial<Configuration> = {
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_name: c.clientName,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
    })),
    jwks: { keys: keys.signingKeys },
    // `secure` is deliberately left unset: oidc-provider then marks cookies secure only on https
    // requests, which is what lets the same issuer run on plain http on loopback.
    cookies: { keys: keys.cookieKeys },
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      jwks: '/.well-known/jwks.json',
      userinfo: '/userinfo',
      end_session: '/v2/logout',
      revocation: '/oauth/revoke',
    },
    // Authorization code (with PKCE) is the only flow the portal uses; nothing else is advertised.
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    // Auth0 clients read the profile from the ID token, not from /userinfo.
    conformIdTokenClaims: false,
    // Auth0 names the API `audience`; oidc-provider's standard name is `resource` (RFC 8707).
    extraParams: ['audience'],
    // Single-page apps call the token endpoint cross-origin; allow exactly their registered origins.
    clientBasedCORS: (_ctx, requestOrigin, client) => client.redirectUris.some((uri) => new URL(uri).origin === requestOrigin),
    async findAccount(_ctx, sub) {
      const account = await directory.findBySub(sub);
      if (!account) return undefined;
      return {
        accountId: account.sub,
        claims: () => ({ sub: account.sub, email: account.email, email_verified: account.emailVerified ?? true, name: account.name }),
      };
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      // Read at issue time, so role and team changes apply from the next token on, as with an Auth0 Action.
      const account = await directory.findBySub(token.accountId);
      if (!account) return undefined;
      return {
        [ROLES_CLAIM]: account.roles,
        [TEAMS_CLAIM]: account.teams,
        ...(account.department ? { [DEPARTMENT_CLAIM]: account.department } : {}),
        [EMAIL_CLAIM]: account.email,
        // This issuer is the directory itself, so the addresses it issues are verified (as Auth0 marks verified
        // ones) unless an account says otherwise (tests of linking by email use an unverified one).
        [EMAIL_VERIFIED_CLAIM]: account.emailVerified ?? true,
        [NAME_CLAIM]: account.name,
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in problem', out);
    },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      IdToken: ACCESS_TOKEN_TTL,
      RefreshToken: 7 * 24 * HOUR,
      Interaction: HOUR,
      Session: 7 * 24 * HOUR,
      Grant: 7 * 24 * HOUR,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // auth0-spa-js renews tokens in a hidden iframe with response_mode=web_message.
      webMessageResponseMode: { enabled: true, ack: 'individual-draft-01' },
      resourceIndicators: {
        enabled: true,
        // Without an audience the API is still meant, like an Auth0 tenant's default audience.
        defaultResource: (ctx, _client, oneOf) => oneOf ?? stringParam(ctx, 'audience') ?? audience,
        // Token requests from Auth0 clients name no resource: the one granted at authorization is meant.
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          if (indicator !== audience) throw new errors.InvalidTarget(`unknown audience ${indicator}`);
          return {
            scope: API_SCOPES.join(' '),
            audience,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
    },
  };

  const provider = new Provider(issuer, configuration);
  const logError = (err: unknown, message: string) => (opts.logger ? opts.logger.error({ err }, message) : console.error(message, err));
  provider.on('server_error', (_ctx, err) => logError(err, 'identity provider error'));

  const app = express();
  app.disable('x-powered-by');
  app.use(
    interactionRoutes({
      provider,
      directory,
      resourceScopes: (indicator) => (indicator === audience ? API_SCOPES : []),
      clientNames: new Map(opts.clients.flatMap((c) => (c.clientName ? [[c.clientId, c.clientName] as const] : []))),
    }),
  );
  app.get('/authorize', auth0OfflineAccess);
  app.get('/v2/logout', auth0LogoutParameters);
  const oidc = provider.callback();
  app.use((req, res) => void oidc(req, res));
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    logError(err, 'sign-in interaction failed');
    if (res.headersSent) return next(err);
    res.status(500).type('html').send(errorPage('Something went wrong', { reason: 'The sign-in could not be completed. Try again.' }));
  });
  return app;
}

function stringParam(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = ctx.oidc.params?.[name];
  return typeof value === 'string' && value ? value : undefined;
}
