import type { AccountDirectory } from '../accounts';
import type { Config } from '../config';
import { createSequelize } from './connection';
import { defineModels, type Models } from './models';
import { createOrganisation, toAccount } from './organisation';

/** The local issuer's view of who can sign in: the users table, read live so admin changes apply at next login. */
export async function openAccountDirectory(config: Config): Promise<AccountDirectory & { close(): Promise<void> }> {
  const sequelize = createSequelize(config.database);
  await sequelize.authenticate();
  const organisation = createOrganisation(defineModels(sequelize));
  return {
    list: () => organisation.accounts(),
    // One person by subject, not the whole directory: every sign-in and token asks this.
    async findBySub(sub: string) {
      const person = await organisation.userBySubject(sub);
      return person ? toAccount(person) : undefined;
    },
    close: () => sequelize.close(),
  };
}

export interface SignInProvisioningSettings {
  /** Email domains whose verified addresses become requesters at first sign-in; empty = off (the production default). */
  domains: string[];
}

/**
 * What happens when a verified identity is not in the directory: with sign-in provisioning on
 * and an allowed domain, the person becomes a requester from the token's claims (audited,
 * actor label "sign-in provisioning"); otherwise the answer says whom to ask.
 */
export function createSignInProvisioning(models: Models, settings: SignInProvisioningSettings) {
  const domains = new Set(settings.domains.map((d) => d.trim().toLowerCase()).filter(Boolean));
  async function whomToAsk(): Promise<string> {
    const admins = (await models.User.findAll({ where: { active: true }, order: [['id', 'ASC']] })).filter((u) => (u.get('roles') as string[]).includes('admin')).slice(0, 3);
    return admins.length ? `Ask ${admins.map((a) => `${String(a.get('name'))} <${String(a.get('email'))}>`).join(' or ')} to add you.` : 'Ask your IT administrator to add you.';
  }
  return {
    /** A new person's id, or the sentence to show instead. */
    async provision(claims: { sub: string; email?: string; verified: boolean; name?: string }): Promise<{ userId: number } | { refusal: string }> {
      const email = claims.email?.trim().toLowerCase();
      if (email) {
        const existing = await models.User.findOne({ where: { email } });
        // Someone who left stays out: deactivation is the directory's decision, not the sign-in's.
        if (existing && !existing.get('active')) return { refusal: `The account for ${email} is deactivated. ${await whomToAsk()}` };
      }
      const domain = email?.split('@')[1];
      if (!email || !claims.verified || !domain || !domains.has(domain)) {
        return { refusal: `This identity (${email ?? claims.sub}) has no account in the ticketing directory. ${await whomToAsk()}` };
      }
      const row = await models.User.create({ email, name: (claims.name?.trim() || email).slice(0, 120), auth_subject: claims.sub, roles: ['requester'], active: true, vip: false, scim_managed: false, version: 1 });
      const id = row.get('id') as number;
      await models.AuditLog.create({
        actor_id: 0,
        actor_label: 'sign-in provisioning',
        entity: 'user',
        entity_id: String(id),
        action: 'provision',
        before: null,
        after: { id, email, name: row.get('name'), roles: ['requester'], authSubject: claims.sub },
        at: new Date(),
      });
      return { userId: id };
    },
  };
}

export type SignInProvisioning = ReturnType<typeof createSignInProvisioning>;
