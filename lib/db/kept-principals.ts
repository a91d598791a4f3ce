import type { Sequelize } from 'sequelize';
import { configurationToken } from './config-generation';
import { SHARED_MAX_AGE_MS } from './config-snapshot';
import type { Organisation, UserProfile } from './organisation';

/** Enough for every person of a large organisation signed in at once; beyond it the longest kept go first. */
const MAX_KEPT = 20_000;

/**
 * The person behind a token's subject, kept between their requests. Reading a profile is four
 * queries (the person, their memberships, every team and department); every table it comes from
 * is configuration (lib/db/config-generation.ts), so one read of the configuration token says
 * whether a kept profile still holds: a deactivation, a role or a team change made through the
 * API, SCIM or the directory sync changes the token when it commits, and the next request reads
 * the person again. Nothing is kept longer than SHARED_MAX_AGE_MS (a write by hand in a SQL
 * console changes no token). Only found people are kept, so a first sign-in is always read fresh.
 * The profiles are shared between requests: nothing may mutate them.
 */
export function keptPrincipals(organisation: Organisation, sequelize: Sequelize, maxAgeMs = SHARED_MAX_AGE_MS) {
  const kept = new Map<string, { token: string; readAt: number; reading: Promise<UserProfile | undefined> }>();
  return async function principalBySubject(sub: string): Promise<UserProfile | undefined> {
    // The token is read before the person, so a change that commits between the two reads leaves a newer token behind it.
    const token = await configurationToken(sequelize);
    const now = Date.now();
    const entry = kept.get(sub);
    if (token !== undefined && entry && entry.token === token && now - entry.readAt < maxAgeMs) return entry.reading;
    const reading = organisation.userBySubject(sub);
    kept.delete(sub);
    if (token !== undefined) {
      kept.set(sub, { token, readAt: now, reading });
      if (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value!);
    }
    const forget = () => {
      if (kept.get(sub)?.reading === reading) kept.delete(sub);
    };
    reading.then((user) => user ?? forget(), forget);
    return reading;
  };
}
