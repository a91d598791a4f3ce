import type { Sequelize } from 'sequelize';
import { configurationToken } from './config-generation';
import type { Organisation, UserProfile } from './organisation';

/**
 * Never keep a person longer than this, whatever the token says: a write by hand in a SQL
 * console, or a token another process failed to write, is seen within it. Re-reading costs four
 * small queries, so the limit is short.
 */
export const PRINCIPAL_MAX_AGE_MS = 10_000;

/** Enough for every person of a large organisation signed in at once; beyond it the longest kept go first. */
const MAX_KEPT = 20_000;

/**
 * The person behind a token's subject, kept between their requests. Reading a profile is four
 * queries (the person, their memberships, every team and department); every table it comes from
 * is configuration (lib/db/config-generation.ts), so one read of the configuration token says
 * whether a kept profile still holds: a deactivation, a role or a team change made through the
 * API, SCIM or the directory sync changes the token when it commits, and the next request reads
 * the person again. Nothing is kept longer than PRINCIPAL_MAX_AGE_MS. Only found people are
 * kept, so a first sign-in is always read fresh. The profiles are shared between requests, so
 * they are frozen.
 */
export function keptPrincipals(organisation: Organisation, sequelize: Sequelize, { maxAgeMs = PRINCIPAL_MAX_AGE_MS, now = Date.now } = {}) {
  const kept = new Map<string, { token: string; readAt: number; reading: Promise<UserProfile | undefined> }>();
  return async function principalBySubject(sub: string): Promise<UserProfile | undefined> {
    // The token is read before the person, so a change that commits between the two reads leaves a newer token behind it.
    const token = await configurationToken(sequelize);
    const at = now();
    const entry = kept.get(sub);
    if (token !== undefined && entry && entry.token === token && at - entry.readAt < maxAgeMs) return entry.reading;
    const reading = organisation.userBySubject(sub).then((user) => user && frozen(user));
    kept.delete(sub);
    if (token !== undefined) {
      kept.set(sub, { token, readAt: at, reading });
      if (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value!);
    }
    const forget = () => {
      if (kept.get(sub)?.reading === reading) kept.delete(sub);
    };
    reading.then((user) => user ?? forget(), forget);
    return reading;
  };
}

function frozen<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}
