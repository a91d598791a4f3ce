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
