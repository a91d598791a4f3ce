import type { Account } from '../../lib/accounts';
import { DEMO_TEAMS, DEMO_USERS, demoSubject } from '../../lib/db/demo-org';

/** The seeded people as the issuer knows them, without a database: what the test issuer serves. */
export function demoAccounts(): Account[] {
  return DEMO_USERS.map((u) => ({
    sub: demoSubject(u.key),
    email: u.email,
    name: u.name,
    roles: u.roles,
    teams: DEMO_TEAMS.filter((t) => t.members.some(([member]) => member === u.key)).map((t) => t.code),
    department: u.department,
    title: u.title,
  }));
}

export type DemoUserKey = (typeof DEMO_USERS)[number]['key'];

/**
 * People the identity provider knows but the seeded directory does not: the test issuer
 * signs them in, and SCIM or sign-in provisioning is what gives them a place in the product.
 */
export const NEW_HIRE_ACCOUNTS: Account[] = [
  ...[1, 2, 3, 4].map((n) => ({ sub: `idp|new-hire-${n}`, email: `new.hire${n}@example.com`, name: `New Hire ${n}`, roles: ['requester' as const], teams: [] })),
  // From a domain no test allows for sign-in provisioning.
  { sub: 'idp|outsider', email: 'outsider@partner.test', name: 'Outside Contractor', roles: ['requester'], teams: [] },
];
