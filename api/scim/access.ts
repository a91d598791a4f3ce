import type { Role } from '../../lib/claims';
import type { Models } from '../../lib/db/models';
import { auditChange, type ChangeActor, type PeopleStore } from './people';

/**
 * Group membership → roles and team memberships, by the configurable table
 * scim_group_mappings. Only what the table governs is touched: a role or a team no mapping
 * names stays as an administrator set it, so the table can be introduced gradually.
 * Answers the teams whose membership changed, for their open tickets to be told.
 */
export async function applyGroupMappings(models: Models, people: PeopleStore, actor: ChangeActor, userIds: number[]): Promise<number[]> {
  const touched = new Set<number>();
  if (userIds.length === 0) return [];
  const [mappings, groups, teams] = await Promise.all([models.ScimGroupMapping.findAll(), models.ScimGroup.findAll(), models.Team.findAll()]);
  const groupName = new Map(groups.map((g) => [g.get('id') as number, String(g.get('display_name')).toLowerCase()]));
  const teamByCode = new Map(teams.map((t) => [t.get('code') as string, t.get('id') as number]));
  const governedRoles = new Set(mappings.map((m) => m.get('role') as Role));
  const governedTeams = new Set(mappings.map((m) => m.get('team_code') as string | null).filter((c): c is string => !!c && teamByCode.has(c)).map((c) => teamByCode.get(c)!));

  for (const userId of [...new Set(userIds)]) {
    const person = await people.get(userId);
    if (!person) continue;
    const memberOf = new Set((await models.ScimGroupMember.findAll({ where: { user_id: userId } })).map((m) => groupName.get(m.get('group_id') as number)));
    const matched = mappings.filter((m) => memberOf.has(String(m.get('group_name')).toLowerCase()));
    const granted = new Set(matched.map((m) => m.get('role') as Role));
    const roles = [...new Set<Role>(['requester', ...person.roles.filter((r) => !governedRoles.has(r)), ...granted])];
    if (roles.slice().sort().join() !== person.roles.slice().sort().join()) await people.update(actor, userId, { roles }, undefined, 'scim_roles');

    // Desired membership per governed team: lead outranks agent when two groups name the same team.
    const desired = new Map<number, 'agent' | 'lead'>();
    for (const m of matched) {
      const teamId = teamByCode.get(m.get('team_code') as string);
      if (teamId === undefined) continue;
      const membership = (m.get('membership') as 'agent' | 'lead' | null) ?? 'agent';
      if (desired.get(teamId) !== 'lead') desired.set(teamId, membership);
    }
    for (const teamId of governedTeams) {
      const existing = await models.TeamMember.findOne({ where: { team_id: teamId, user_id: userId } });
      const want = person.active ? desired.get(teamId) : undefined;
      const before = existing ? { userId, membership: existing.get('membership') } : null;
      if (want && !existing) await models.TeamMember.create({ team_id: teamId, user_id: userId, membership: want, on_shift: true });
      else if (want && existing && existing.get('membership') !== want) await models.TeamMember.update({ membership: want }, { where: { team_id: teamId, user_id: userId } });
      else if (!want && existing) await models.TeamMember.destroy({ where: { team_id: teamId, user_id: userId } });
      else continue;
      // The team's version moves too, so an admin editing the team meanwhile gets a conflict, not a lost update.
      await models.Team.increment('version', { where: { id: teamId } });
      touched.add(teamId);
      await auditChange(models, actor, 'team', teamId, want ? (existing ? 'member_changed' : 'member_added') : 'member_removed', before, want ? { userId, membership: want } : null);
    }
  }
  return [...touched];
}
