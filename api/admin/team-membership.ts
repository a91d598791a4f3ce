import type { Client } from '@temporalio/client';
import type { Models } from '../../lib/db/models';
import type { TeamMembership } from '../../workflows/definitions';
import { teamMembershipFanOutWorkflowId, type openTicketsFanOutWorkflow } from '../../workflows/fan-out';

/** The team's members and leads who are active in the directory, at the team's current version; null when no such team. */
export async function currentTeamMembership(models: Models, teamId: number): Promise<{ team: TeamMembership; name: string } | null> {
  const row = await models.Team.findByPk(teamId);
  if (!row) return null;
  const members = await models.TeamMember.findAll({ where: { team_id: teamId }, order: [['user_id', 'ASC']] });
  const active = new Set(
    (await models.User.findAll({ where: { id: members.map((m) => m.get('user_id') as number), active: true }, attributes: ['id'] })).map((u) => u.get('id') as number),
  );
  const current = members.filter((m) => active.has(m.get('user_id') as number));
  return {
    name: row.get('name') as string,
    team: {
      teamId,
      version: row.get('version') as number,
      memberIds: current.map((m) => m.get('user_id') as number),
      leadIds: current.filter((m) => m.get('membership') === 'lead').map((m) => m.get('user_id') as number),
    },
  };
}

/**
 * Open tickets learn of a change to a team's members or leads, or to a member's directory
 * status, through the durable fan-out workflow (workflows/fan-out.ts), as they learn of a
 * calendar edit: not inside the request, retried until every ticket is told, visible in
 * Temporal UI. One fan-out per team version, so a repeated call finds the one already started.
 */
export function createMembershipFanOut({ models, client, taskQueue }: { models: Models; client: Client; taskQueue: string }) {
  return {
    async teamsChanged(teamIds: number[], reason: string): Promise<Array<{ teamId: number; workflowId: string }>> {
      const started: Array<{ teamId: number; workflowId: string }> = [];
      for (const teamId of [...new Set(teamIds)].sort((a, b) => a - b)) {
        const current = await currentTeamMembership(models, teamId);
        if (!current) continue;
        const workflowId = teamMembershipFanOutWorkflowId(teamId, current.team.version);
        await client.workflow.start<typeof openTicketsFanOutWorkflow>('openTicketsFanOutWorkflow', {
          workflowId,
          taskQueue,
          args: [{ change: { kind: 'team_membership', team: current.team, teamName: current.name }, reason }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `Team ${current.name} membership v${current.team.version} to its open tickets`.slice(0, 200),
          staticDetails: `Reason: ${reason}`,
        });
        started.push({ teamId, workflowId });
      }
      return started;
    },
  };
}

export type MembershipFanOut = ReturnType<typeof createMembershipFanOut>;
