import type { Request, Response, NextFunction } from 'express';

/**
 * Request rewrites that let clients written for Auth0 (the portal uses
 * @auth0/auth0-spa-js) talk to oidc-provider unchanged. Each one translates an
 * Auth0 convention into its standard OpenID Connect equivalent before the provider
 * sees the request, so the provider itself stays a plain, certified implementation.
 */

function rewriteQuery(req: Request, edit: (params: URLSearchParams) => boolean): void {
  const url = new URL(req.url, 'http://placeholder');
  if (edit(url.searchParams)) req.url = `${url.pathname}?${url.searchParams}`;
}

/**
 * Auth0's `/v2/logout?client_id=…&returnTo=…` is RP-initiated logout with
 * `post_logout_redirect_uri` spelled differently. `federated` asks Auth0 to also
 * sign out of an upstream identity provider, which the local issuer does not have.
 */
export function auth0LogoutParameters(req: Request, _res: Response, next: NextFunction): void {
  rewriteQuery(req, (params) => {
    const returnTo = params.get('returnTo');
    const changed = returnTo !== null || params.has('federated');
    if (returnTo !== null && !params.has('post_logout_redirect_uri')) params.set('post_logout_redirect_uri', returnTo);
    params.delete('returnTo');
    params.delete('federated');
    return changed;
  });
  next();
}

/**
 * Auth0 issues a refresh token whenever `offline_access` is requested. OpenID Connect
 * Core only honours `offline_access` together with `prompt=consent`, and oidc-provider
 * follows the spec by dropping the scope otherwise, after which the portal's refresh
 * requests (which repeat the scope) fail. Adding the prompt is harmless here: consent
 * for the first-party portal is granted without showing a page.
 */
export function auth0OfflineAccess(req: Request, _res: Response, next: NextFunction): void {
  rewriteQuery(req, (params) => {
    const scopes = (params.get('scope') ?? '').split(' ');
    if (!scopes.includes('offline_access') || params.has('prompt')) return false;
    params.set('prompt', 'consent');
    return true;
  });
  next();
}
