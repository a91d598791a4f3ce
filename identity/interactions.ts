import express, { type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import type { Account, AccountDirectory } from '../lib/accounts';
import { errorPage, loginPage } from './pages';

/** The OpenID scopes the first-party portal receives without a consent screen. */
const FIRST_PARTY_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export interface InteractionOptions {
  provider: Provider;
  directory: AccountDirectory;
  /** Scopes each resource server (API) defines, by resource indicator. */
  resourceScopes(resource: string): string[];
  clientNames: ReadonlyMap<string, string>;
}

/**
 * The issuer's own pages in the middle of an authorization request: who is signing
 * in (a list of the directory's people, no passwords: this is a demo stand-in for
 * Auth0) and consent, which is granted without asking because the portal is ours.
 *
 * The provider binds every interaction to the browser that started it with a cookie
 * scoped to `/interaction/<uid>`, so a form posted from another browser or for
 * another interaction finds no details and is refused.
 */
export function interactionRoutes({ provider, directory, resourceScopes, clientNames }: InteractionOptions): express.Router {
  const router = express.Router();

  router.get('/interaction/:uid', async (req, res) => {
    const details = await detailsFor(req, res);
    if (!details) return;
    if (details.prompt.name === 'login') {
      await renderLogin(res, details, 200);
    } else if (details.prompt.name === 'consent' && details.session) {
      const grantId = await grantConsent(details, details.session.accountId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } else {
      res.status(400).type('html').send(errorPage('Cannot continue', { reason: `Unsupported prompt "${details.prompt.name}"` }));
    }
  });

  router.post('/interaction/:uid/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const details = await detailsFor(req, res);
    if (!details) return;
    if (details.prompt.name !== 'login') {
      res.status(400).type('html').send(errorPage('Cannot continue', { reason: 'This sign-in step is already complete.' }));
      return;
    }
    const form = (req.body ?? {}) as Record<string, unknown>;
    const email = typeof form.email === 'string' ? form.email.trim() : undefined;
    const account = await chosenAccount(form.sub, email);
    if (!account) {
      const error = email
        ? `No account uses the email address "${email}".`
        : form.sub
          ? 'That account does not exist. Choose one of the people below.'
          : 'Choose a person or enter an email address.';
      await renderLogin(res, details, 400, { error, email });
      return;
    }
    const grantId = await grantConsent(details, account.sub);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  });

  return router;

  async function detailsFor(req: Request, res: Response): Promise<InteractionDetails | undefined> {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid === req.params.uid) return details;
    } catch {
      // No interaction cookie, or the interaction expired: both mean the same to the person.
    }
    res
      .status(400)
      .type('html')
      .send(errorPage('This sign-in has expired', { reason: 'Go back to the portal and sign in again.' }));
    return undefined;
  }

  async function renderLogin(res: Response, details: InteractionDetails, status: number, extra: { error?: string; email?: string } = {}) {
    const clientName = clientNames.get(String(details.params.client_id));
    const accounts = await directory.list();
    res
      .status(status)
      .type('html')
      .send(loginPage({ action: `/interaction/${details.uid}/login`, accounts, clientName, ...extra }));
  }

  async function chosenAccount(sub: unknown, email: string | undefined): Promise<Account | undefined> {
    if (typeof sub === 'string' && sub) return directory.findBySub(sub);
    if (!email) return undefined;
    const wanted = email.toLowerCase();
    return (await directory.list()).find((a) => a.email.toLowerCase() === wanted);
  }

  /**
   * Records the consent a first-party client gets anyway: the OpenID scopes it asked
   * for and, for each API in the request, the API scopes it asked for. Extending the
   * grant already in the session (rather than replacing it) keeps earlier tokens valid.
   */
  async function grantConsent(details: InteractionDetails, accountId: string): Promise<string> {
    const clientId = String(details.params.client_id);
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant = existing?.accountId === accountId ? existing : new provider.Grant({ accountId, clientId });
    const requested = new Set(String(details.params.scope ?? '').split(' '));
    grant.addOIDCScope(FIRST_PARTY_SCOPES.filter((s) => requested.has(s)).join(' '));
    const resource = details.params.resource;
    for (const indicator of Array.isArray(resource) ? resource : resource ? [resource] : []) {
      grant.addResourceScope(String(indicator), resourceScopes(String(indicator)).filter((s) => requested.has(s)).join(' '));
    }
    return grant.save();
  }
}
