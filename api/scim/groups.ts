import { SCIMMY } from 'scimmy-routers';
import type { Model } from 'sequelize';
import type { Models } from '../../lib/db/models';
import { scimGuard, type ScimContext } from './context';
import { etagOf } from './users';

type ScimGroupIn = { displayName?: string; externalId?: string; members?: Array<{ value?: string }> };

async function groupView(models: Models, row: Model) {
  const id = row.get('id') as number;
  const members = await models.ScimGroupMember.findAll({ where: { group_id: id }, order: [['user_id', 'ASC']] });
  const users = members.length ? await models.User.findAll({ where: { id: members.map((m) => m.get('user_id') as number) } }) : [];
  return {
    id: String(id),
    displayName: row.get('display_name') as string,
    ...(row.get('external_id') ? { externalId: row.get('external_id') as string } : {}),
    members: users.map((u) => ({ value: String(u.get('id')), type: 'User', $ref: `${SCIMMY.Resources.User.basepath()}/${String(u.get('id'))}` })),
    meta: { created: new Date(row.get('created_at') as string), lastModified: new Date(row.get('updated_at') as string), version: etagOf(row.get('version') as number) },
  };
}

/**
 * Groups as the identity provider keeps them. Membership matters through the mapping
 * table (api/scim/access.ts): joining "Service Desk Agents" makes an agent of IT Service Desk.
 */
export function declareGroups(): void {
  // A member's display name is the person's, not the client's to set: not offered rather than silently ignored.
  SCIMMY.Schemas.Group.definition.truncate(...['members.display']);
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress(async (resource, instance, ctx: ScimContext) => {
      const data = instance as unknown as ScimGroupIn;
      const displayName = data.displayName?.trim();
      if (!displayName) throw new SCIMMY.Types.Error(400, 'invalidValue', 'displayName is required');
      const memberIds = [...new Set((data.members ?? []).map((m) => m.value ?? ''))];
      const users = await Promise.all(memberIds.map((v) => ctx.scimUser(v)));
      const unknown = memberIds.filter((_, i) => !users[i]);
      if (unknown.length) throw new SCIMMY.Types.Error(400, 'invalidValue', `members: ${unknown.map((v) => `"${v}"`).join(', ')} not a User of this service provider`);
      const ids = users.map((u) => u!.get('id') as number);
      return scimGuard(async () => {
        const clash = await ctx.models.ScimGroup.findOne({ where: { display_name: displayName } });
        let row: Model;
        let before: Awaited<ReturnType<typeof groupView>> | null = null;
        if (resource.id) {
          const existing = /^\d{1,9}$/.test(resource.id) ? await ctx.models.ScimGroup.findByPk(Number(resource.id)) : null;
          if (!existing) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
          if (clash && clash.get('id') !== existing.get('id')) throw new SCIMMY.Types.Error(409, 'uniqueness', `displayName "${displayName}" is already taken`);
          before = await groupView(ctx.models, existing);
          const version = ctx.ifMatch() ?? (existing.get('version') as number);
          const [updated] = await ctx.models.ScimGroup.update({ display_name: displayName, external_id: data.externalId ?? null, version: version + 1 }, { where: { id: existing.get('id'), version } });
          if (updated === 0) throw new SCIMMY.Types.Error(412, null!, 'The resource changed since the version in If-Match; read it again');
          row = (await ctx.models.ScimGroup.findByPk(existing.get('id') as number))!;
        } else {
          if (clash) throw new SCIMMY.Types.Error(409, 'uniqueness', `displayName "${displayName}" is already taken`);
          row = await ctx.models.ScimGroup.create({ display_name: displayName, external_id: data.externalId ?? null, version: 1 });
        }
        const groupId = row.get('id') as number;
        const previous = (await ctx.models.ScimGroupMember.findAll({ where: { group_id: groupId } })).map((m) => m.get('user_id') as number);
        await ctx.models.ScimGroupMember.destroy({ where: { group_id: groupId } });
        if (ids.length) await ctx.models.ScimGroupMember.bulkCreate(ids.map((user_id) => ({ group_id: groupId, user_id })));
        const after = await groupView(ctx.models, row);
        await ctx.audit('scim_group', groupId, before ? 'scim_replace' : 'create', before, after);
        // Renaming a group changes what it maps to, so every member old and new is looked at again.
        await ctx.groupsChanged([...previous, ...ids]);
        return after;
      });
    })
    .egress(async (resource, ctx: ScimContext) => {
      if (resource.id) {
        const row = /^\d{1,9}$/.test(resource.id) ? await ctx.models.ScimGroup.findByPk(Number(resource.id)) : null;
        if (!row) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
        return groupView(ctx.models, row);
      }
      const all = await Promise.all((await ctx.models.ScimGroup.findAll({ order: [['id', 'ASC']] })).map((r) => groupView(ctx.models, r)));
      return resource.filter ? resource.filter.match(all) : all;
    })
    .degress(async (resource, ctx: ScimContext) => {
      const row = /^\d{1,9}$/.test(resource.id!) ? await ctx.models.ScimGroup.findByPk(Number(resource.id)) : null;
      if (!row) throw new SCIMMY.Types.Error(404, null!, `Resource ${resource.id} not found`);
      const expected = ctx.ifMatch();
      if (expected !== undefined && expected !== row.get('version')) throw new SCIMMY.Types.Error(412, null!, 'The resource changed since the version in If-Match; read it again');
      const before = await groupView(ctx.models, row);
      const members = (await ctx.models.ScimGroupMember.findAll({ where: { group_id: row.get('id') } })).map((m) => m.get('user_id') as number);
      await ctx.models.ScimGroupMember.destroy({ where: { group_id: row.get('id') } });
      await row.destroy();
      await ctx.audit('scim_group', before.id, 'scim_delete', before, null);
      await ctx.groupsChanged(members);
    });
}
