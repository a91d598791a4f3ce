import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { EMAIL_CLAIM, EMAIL_VERIFIED_CLAIM, NAME_CLAIM } from '../lib/claims';
import { ConfigError, type Config } from '../lib/config';
import type { Sequelize } from 'sequelize';
import type { SignInProvisioning } from '../lib/db/directory';
import { keptPrincipals } from '../lib/db/kept-principals';
import type { Organisation, UserProfile } from '../lib/db/organisation';
import type { Actor } from '../workflows/domain/types';
import { ApiError } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: UserProfile;
  }
}

/**
 * Validates the bearer token against whichever issuer is configured (an Auth0 tenant when
 * AUTH0_DOMAIN is set, the local OIDC provider only with IDENTITY_MODE=local — same code path),
 * then resolves it to a person in the directory. Roles and teams come from the
 * directory, not the token, so an admin's change applies at once.
 */
export function authenticate(identity: Config['identity'], organisation: Organisation, sequelize: Sequelize, provisioning?: SignInProvisioning): RequestHandler[] {
  // The entry point refuses this already; an app built some other way must not fall back to any issuer either.
  if (identity.mode === 'unset') throw new ConfigError('No identity provider is configured: set AUTH0_DOMAIN, or IDENTITY_MODE=local for the demo issuer');
  // With an internal address for the issuer (containers), keys come from there while `iss` must still be the public URL.
  const verifyToken = identity.jwksUri
    ? auth({ issuer: identity.issuerUrl, jwksUri: identity.jwksUri, audience: identity.audience, tokenSigningAlg: 'RS256' })
    : auth({ issuerBaseURL: identity.issuerUrl, audience: identity.audience, tokenSigningAlg: 'RS256' });
  const principalBySubject = keptPrincipals(organisation, sequelize);
  const resolvePrincipal = async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const payload = req.auth?.payload;
      const sub = payload?.sub;
      if (!sub) throw new ApiError(401, 'UNAUTHORIZED', 'The token has no subject');
      let user = await principalBySubject(sub);
      if (!user) {
        // First sign-in through a real Auth0 tenant: link the subject to the directory entry by
        // email, but only an email the identity provider has verified — an unverified sign-up
        // with someone else's address must never inherit their account.
        const email = (payload[EMAIL_CLAIM] ?? payload.email) as string | undefined;
        const verified = payload[EMAIL_VERIFIED_CLAIM] === true || payload.email_verified === true;
        const candidate = email && verified ? await organisation.userByEmail(email) : undefined;
        if (candidate && !candidate.authSubject) {
          await organisation.linkSubject(candidate.id, sub);
          user = { ...candidate, authSubject: sub };
        }
      }
      if (!user && provisioning) {
        // Not in the directory: sign-in provisioning decides (lib/db/directory.ts), and says whom to ask when it will not.
        const email = (payload[EMAIL_CLAIM] ?? payload.email) as string | undefined;
        const verified = payload[EMAIL_VERIFIED_CLAIM] === true || payload.email_verified === true;
        const name = (payload[NAME_CLAIM] ?? payload.name) as string | undefined;
        const outcome = await provisioning.provision({ sub, email, verified, name });
        if ('refusal' in outcome) throw new ApiError(403, 'UNKNOWN_USER', outcome.refusal);
        user = (await organisation.userBySubject(sub))!;
      }
      if (!user) throw new ApiError(403, 'UNKNOWN_USER', 'This identity has no account in the ticketing directory');
      req.principal = user;
      next();
    } catch (err) {
      next(err);
    }
  };
  return [verifyToken, resolvePrincipal];
}

export function principalOf(req: Request): UserProfile {
  if (!req.principal) throw new ApiError(401, 'UNAUTHORIZED', 'Authentication required');
  return req.principal;
}

export function actorOf(user: UserProfile): Actor {
  return {
    kind: 'user',
    userId: user.id,
    name: user.name,
    roles: user.roles,
    teamIds: user.teams.map((t) => t.id),
    departmentId: user.department?.id ?? null,
  };
}
