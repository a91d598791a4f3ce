import type { Role } from './claims';

/** A person who can sign in, as the identity provider and the API both see them. */
export interface Account {
  /** Stable subject identifier: the `sub` claim of tokens issued for this person. */
  sub: string;
  email: string;
  name: string;
  roles: Role[];
  /** Team codes the person belongs to (e.g. `it-service-desk`). */
  teams: string[];
  /** Department code (e.g. `IT`), if any. */
  department?: string;
  /** One line shown on the demo login page (e.g. "Agent, IT Service Desk"). */
  title?: string;
  /** Whether the issuer vouches for the address (Auth0's email_verified); the local directory's are (default true). */
  emailVerified?: boolean;
}

/** Where the local issuer looks people up; backed by the read-model users table in the running stack. */
export interface AccountDirectory {
  list(): Promise<Account[]>;
  findBySub(sub: string): Promise<Account | undefined>;
}
