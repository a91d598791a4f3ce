import { SCIMMY } from 'scimmy-routers';
import type { Model } from 'sequelize';
import type { Models } from '../../lib/db/models';
import { personView, type PeopleStore, type PersonColumns, type PersonView } from './people';
import { scimGuard, type ScimContext } from './context';

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** SCIM's W/"n" weak ETag over the row's version. */
export const etagOf = (version: number) => `W/"${version}"`;

type ScimUserIn = {
  userName?: string;
  externalId?: string;
  displayName?: string;
  title?: string;
  active?: boolean;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  emails?: Array<{ value?: string; primary?: boolean; type?: string }>;
  addresses?: Array<{ locality?: string; formatted?: string; primary?: boolean; type?: string }>;
  [ENTERPRISE]?: { employeeNumber?: string; department?: string; manager?: { value?: string } };
};

const bad = (message: string) => new SCIMMY.Types.Error(400, 'invalidValue', message);

/** The SCIM face of a person: email and name as they are; location as the work address; department by name. */
export async function toScimUser(models: Models, person: PersonView): Promise<{ id: string; userName: string } & Record<string, unknown>> {
  const department = person.departmentId === null ? null : await models.Department.findByPk(person.departmentId);
  const manager = person.managerId === null ? null : await models.User.findByPk(person.managerId);
  const groups = await models.ScimGroupMember.findAll({ where: { user_id: person.id } });
  const groupRows = groups.length ? await models.ScimGroup.findAll({ where: { id: groups.map((g) => g.get('group_id') as number) } }) : [];
  return {
    id: String(person.id),
    ...(person.externalId ? { externalId: person.externalId } : {}),
    userName: person.userName ?? person.email,
    name: { formatted: person.name },
    displayName: person.name,
    ...(person.title ? { title: person.title } : {}),
    active: person.active,
    emails: [{ value: person.email }],
    ...(person.location ? { addresses: [{ locality: person.location }] } : {}),
    groups: groupRows.map((g) => ({ value: String(g.get('id')), display: g.get('display_name') as string, $ref: `${SCIMMY.Resources.Group.basepath()}/${String(g.get('id'))}` })),
    [ENTERPRISE]: {
      ...(person.employeeNumber ? { employeeNumber: person.employeeNumber } : {}),
      ...(department ? { department: department.get('name') as string } : {}),
      ...(manager ? { manager: { value: String(manager.get('id')), $ref: `${SCIMMY.Resources.User.basepath()}/${String(manager.get('id'))}` } } : {}),
    },
    meta: { created: new Date(person.createdAt), lastModified: new Date(person.updatedAt), version: etagOf(person.version) },
  };
}

/** A department named by the identity provider: found by name or code, else created (HR systems own the list). */
async function departmentFor(ctx: ScimContext, name: string | undefined): Promise<number | null> {
  const wanted = name?.trim();
  if (!wanted) return null;
  const all = await ctx.models.Department.findAll();
  const found = all.find((d) => String(d.get('name')).toLowerCase() === wanted.toLowerCase() || String(d.get('code')).toLowerCase() === wanted.toLowerCase());
  if (found) return found.get('id') as number;
  const code = wanted.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'dept';
  const taken = all.some((d) => String(d.get('code')).toLowerCase() === code.toLowerCase());
  const row = await ctx.models.Department.create({ code: taken ? `${code.slice(0, 24)}-${all.length + 1}` : code, name: wanted.slice(0, 120), head_user_id: null, version: 1 });
  await ctx.audit('department', row.get('id') as number, 'create', null, { id: row.get('id'), code: row.get('code'), name: row.get('name') });
  return row.get('id') as number;
}

/** Maps a SCIM User (already checked against the schema by SCIMMY) onto the users table's columns. */
async function columnsFrom(ctx: ScimContext, data: ScimUserIn, selfId: number | null): Promise<PersonColumns> {
  const userName = data.userName?.trim();
  if (!userName) throw bad('userName is required');
  const email = (data.emails?.[0]?.value ?? (userName.includes('@') ? userName : undefined))?.trim().toLowerCase();
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) throw bad('emails: a work email is required (or a userName that is an email address)');
  const name = (data.displayName ?? data.name?.formatted ?? '').trim() || userName;
  const enterprise = data[ENTERPRISE] ?? {};
  let managerId: number | null = null;
  if (enterprise.manager?.value) {
    managerId = Number(enterprise.manager.value);
    if (!Number.isInteger(managerId) || managerId === selfId || !(await ctx.models.User.findOne({ where: { id: managerId, scim_managed: true } }))) {
      throw bad(`${ENTERPRISE}:manager.value "${enterprise.manager.value}" is not a User id of this service provider`);
    }
  }
  const address = data.addresses?.[0];
  return {
    user_name: userName.slice(0, 191),
    external_id: data.externalId?.slice(0, 191) ?? null,
    email: email.slice(0, 254),
    name: name.slice(0, 120),
    title: data.title?.slice(0, 120) ?? null,
    location: address?.locality?.slice(0, 80) ?? null,
    employee_number: enterprise.employeeNumber?.slice(0, 64) ?? null,
    department_id: await departmentFor(ctx, enterprise.department),
    manager_id: managerId,
    active: data.active ?? true,
    scim_managed: true,
  };
}

async function ensureUnique(ctx: ScimContext, columns: PersonColumns, selfId: number | null): Promise<void> {
  if (await ctx.people.findConflict('user_name', columns.user_name!, selfId)) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName "${columns.user_name}" is already taken`);
  const sameEmail = await ctx.people.findConflict('email', columns.email!, selfId);
  // A person already in the directory (seeded, or signed in before SCIM was set up) is
  // adopted by the identity provider rather than refused; one it already owns is a conflict.
  if (sameEmail && (sameEmail.scimManaged || selfId !== null)) throw new SCIMMY.Types.Error(409, 'uniqueness', `emails: "${columns.email}" belongs to another User`);
}

/** Marks emails required in a /Schemas answer (see declareUsers for why SCIMMY itself does not enforce it). */
export function publishSchemas(body: unknown): unknown {
  const mark = (schema: { id?: string; attributes?: Array<{ name?: string; required?: boolean }> }) => {
    if (schema?.id !== 'urn:ietf:params:scim:schemas:core:2.0:User' || !Array.isArray(schema.attributes)) return schema;
    return { ...schema, attributes: schema.attributes.map((a) => (a.name === 'emails' ? { ...a, required: true } : a)) };
  };
  if (!body || typeof body !== 'object') return body;
  const plain = JSON.parse(JSON.stringify(body)) as { Resources?: unknown[] };
  return Array.isArray(plain.Resources) ? { ...plain, Resources: plain.Resources.map((r) => mark(r as never)) } : mark(plain as never);
}

export function declareUsers(): void {
  // People are reached, notified and linked at sign-in by their work address, so this provider
  // requires one and says so in its published schema (RFC 7643 §7 lets a provider mark more required).
  // The published schema is what this directory keeps: attributes it would silently drop are
  // not offered (RFC 7643 §7), so a client knows before it sends them.
  SCIMMY.Schemas.User.definition.truncate(...[
    'nickName', 'profileUrl', 'userType', 'preferredLanguage', 'locale', 'timezone', 'password',
    'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates',
    'name.familyName', 'name.givenName', 'name.middleName', 'name.honorificPrefix', 'name.honorificSuffix',
    'emails.type', 'emails.primary', 'emails.display',
    'addresses.formatted', 'addresses.streetAddress', 'addresses.region', 'addresses.postalCode', 'addresses.country', 'addresses.type', 'addresses.primary',
  ]);
  SCIMMY.Schemas.EnterpriseUser.definition.truncate(...['costCenter', 'organization', 'division', 'manager.displayName']);
  const emails = SCIMMY.Schemas.User.definition.attribute('emails');
  // Published as required (publishSchemas below), but not enforced by SCIMMY itself: its PatchOp
  // `replace` on a multi-valued attribute is "remove, then add", and the remove of a required attribute
  // is refused and swallowed, so a replaced address would be appended after the old one (which the
  // store would keep). columnsFrom enforces the requirement instead, with a 400 naming emails.
  emails.config.required = false;
  emails.subAttributes!.find((a) => a.name === 'value')!.config.required = true;
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .extend(SCIMMY.Schemas.EnterpriseUser, false)
    .ingress((resource, instance, ctx: ScimContext) =>
      scimGuard(async () => {
      const data = instance as unknown as ScimUserIn;
      const selfId = resource.id ? Number(resource.id) : null;
      if (resource.id && !(await ctx.scimUser(resource.id))) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
      const columns = await columnsFrom(ctx, data, selfId);
      await ensureUnique(ctx, columns, selfId);
      let before: PersonView | null = null;
      let after: PersonView;
      if (selfId === null) {
        const adopted = await ctx.people.findByEmail(columns.email!);
        if (adopted) {
          ({ before, after } = await ctx.people.update(ctx.actor, adopted.id, columns, undefined, 'scim_adopt'));
        } else {
          after = await ctx.people.create(ctx.actor, columns);
        }
      } else {
        ({ before, after } = await ctx.people.update(ctx.actor, selfId, columns, ctx.ifMatch(), 'scim_replace'));
      }
      await ctx.afterChange(before, after);
      return toScimUser(ctx.models, after);
      }),
    )
    .egress(async (resource, ctx: ScimContext) => {
      if (resource.id) {
        const row = await ctx.scimUser(resource.id);
        if (!row) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
        return toScimUser(ctx.models, personView(row));
      }
      // userName eq "…" (what Entra ID and Okta send before every create) is answered by the index;
      // other filters are evaluated by SCIMMY over the provider's people.
      const where: Record<string, unknown> = { scim_managed: true };
      const expression = (resource.filter as unknown as Array<Record<string, unknown>> | undefined)?.[0];
      const userNameEq = resource.filter && (resource.filter as unknown as unknown[]).length === 1 && Object.keys(expression ?? {}).length === 1 ? (expression?.userName as unknown[] | undefined) : undefined;
      if (Array.isArray(userNameEq) && userNameEq[0] === 'eq' && typeof userNameEq[1] === 'string') where.user_name = userNameEq[1];
      const rows = await ctx.models.User.findAll({ where, order: [['id', 'ASC']] });
      const all = await Promise.all(rows.map((r: Model) => toScimUser(ctx.models, personView(r))));
      return resource.filter ? resource.filter.match(all) : all;
    })
    // People are never deleted (tickets name them): the provider lets go of them and they can no longer sign in.
    .degress((resource, ctx: ScimContext) =>
      scimGuard(async () => {
      const row = await ctx.scimUser(resource.id!);
      if (!row) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
      const { before, after } = await ctx.people.update(ctx.actor, row.get('id') as number, { active: false, scim_managed: false, user_name: null, external_id: null }, ctx.ifMatch(), 'scim_delete');
      const groups = await ctx.models.ScimGroupMember.destroy({ where: { user_id: after.id } });
      if (groups) await ctx.groupsChanged([after.id]);
      await ctx.afterChange(before, after);
      }),
    );
}
