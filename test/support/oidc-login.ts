import crypto from 'node:crypto';

export interface LoginOptions {
  /** The issuer identifier, with its trailing slash (`http://127.0.0.1:3002/`). */
  issuerUrl: string;
  clientId: string;
  redirectUri: string;
  audience: string;
  /** Who to sign in as: the account button to press, or else the email to type. */
  sub?: string;
  email?: string;
  /** A browser to sign in with, so its session can be used afterwards (e.g. to sign out); a fresh one otherwise. */
  browser?: CookieBrowser;
}

export interface IssuedTokens {
  accessToken: string;
  idToken: string;
}

/** Where and why a login did not produce tokens, with the response that said so. */
export class OidcLoginError extends Error {
  constructor(
    message: string,
    readonly stage: 'authorize' | 'login' | 'callback' | 'token',
    readonly status: number,
    readonly body: string,
  ) {
    super(`${message} (${stage}, HTTP ${status}): ${body.slice(0, 300)}`);
    this.name = 'OidcLoginError';
  }
}

/**
 * Signs in at the real issuer the way the portal's browser does, over HTTP only:
 * authorization code with PKCE, the issuer's own login form, then the code exchange.
 * Tests get their tokens this way so that what the API accepts is exactly what the
 * issuer hands out.
 */
export async function obtainAccessToken(opts: LoginOptions): Promise<IssuedTokens> {
  if (!opts.sub && !opts.email) throw new Error('obtainAccessToken needs a sub or an email to sign in as');
  const browser = opts.browser ?? new CookieBrowser();
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const authorize = new URL('authorize', opts.issuerUrl);
  authorize.search = new URLSearchParams({
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    response_type: 'code',
    response_mode: 'query',
    scope: 'openid profile email offline_access',
    audience: opts.audience,
    state,
    nonce: crypto.randomBytes(16).toString('base64url'),
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  const loginPage = await browser.follow(authorize, opts.redirectUri);
  if (loginPage.callback) throw new OidcLoginError('the issuer answered without asking who signs in', 'authorize', 0, loginPage.callback.href);
  if (loginPage.status !== 200) throw new OidcLoginError('no login page', 'authorize', loginPage.status, loginPage.body);

  const field = opts.sub ? 'sub' : 'email';
  const action = formActionFor(loginPage.body, field);
  if (!action) throw new OidcLoginError(`the login page has no form with a "${field}" field`, 'login', loginPage.status, loginPage.body);
  const submitted = await browser.request(new URL(action, loginPage.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ [field]: (opts.sub ?? opts.email)! }).toString(),
  });
  const location = submitted.headers.get('location');
  if (!location) throw new OidcLoginError('the login was not accepted', 'login', submitted.status, await submitted.text());

  const landing = await browser.follow(new URL(location, submitted.url), opts.redirectUri);
  if (!landing.callback) throw new OidcLoginError('never came back to the client', 'callback', landing.status, landing.body);
  const params = landing.callback.searchParams;
  const code = params.get('code');
  if (!code || params.get('state') !== state || params.get('iss') !== opts.issuerUrl) {
    throw new OidcLoginError('unexpected authorization response', 'callback', landing.status, landing.callback.href);
  }

  const response = await fetch(new URL('oauth/token', opts.issuerUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: opts.clientId,
      code,
      code_verifier: verifier,
      redirect_uri: opts.redirectUri,
    }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new OidcLoginError('the code exchange failed', 'token', response.status, text);
  const tokens = JSON.parse(text) as { access_token?: string; id_token?: string };
  if (!tokens.access_token || !tokens.id_token) throw new OidcLoginError('tokens missing from the response', 'token', response.status, text);
  return { accessToken: tokens.access_token, idToken: tokens.id_token };
}

/** The `action` of the first POST form holding a control named `field`. */
function formActionFor(html: string, field: string): string | undefined {
  for (const [, attributes, inner] of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    if (!/method="post"/i.test(attributes!) || !new RegExp(`name="${field}"`).test(inner!)) continue;
    const action = /action="([^"]*)"/i.exec(attributes!)?.[1];
    return action?.replace(/&amp;/g, '&');
  }
  return undefined;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** Just enough of a browser for one origin: redirects followed by hand, cookies kept and scoped by path. */
export class CookieBrowser {
  private cookies: Cookie[] = [];

  async request(url: URL, init: RequestInit = {}): Promise<Response> {
    const cookie = this.cookies
      .filter((c) => url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const response = await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    for (const header of response.headers.getSetCookie()) this.store(header);
    return response;
  }

  /** Follows redirects until a page renders or the client's redirect URI is reached (never requested). */
  async follow(start: URL, redirectUri: string): Promise<{ url: URL; status: number; body: string; callback?: URL }> {
    let url = start;
    for (let hops = 0; hops < 10; hops += 1) {
      if (url.href.startsWith(redirectUri)) return { url, status: 0, body: '', callback: url };
      const response = await this.request(url);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      return { url, status: response.status, body: await response.text() };
    }
    throw new Error(`too many redirects from ${start.href}`);
  }

  private store(header: string): void {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const path = attribute('path') ?? '/';
    const expires = attribute('expires');
    const gone = attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
    if (!gone) this.cookies.push({ name, value, path });
  }
}
