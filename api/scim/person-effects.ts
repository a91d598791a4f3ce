import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Models } from '../../lib/db/models';
import { createMembershipFanOut } from '../admin/team-membership';
import { personDeactivationWorkflowId, type personDeactivationWorkflow } from '../../workflows/person-deactivation';
import type { PersonView } from './people';

/**
 * What a directory change does to running tickets. A deactivated person's waiting approval
 * steps are handed on and the leads of their teams hear about their open tickets, through a
 * durable workflow of its own (workflows/person-deactivation.ts), so a fault delays the
 * hand-over instead of losing it. Their teams' open tickets learn the team without them (or,
 * on reactivation, with them again), as they learn any membership change: no backup
 * escalation or manual assignment to them. Auto-assignment skips inactive people by itself
 * (activities/assignment.ts). A changed manager needs nothing here: approval chains are
 * resolved when a ticket starts, so steps of later tickets go to the new manager and running
 * ones keep theirs.
 */
export function createPersonEffects({ models, client, taskQueue }: { models: Models; client: Client; logger: Logger; taskQueue: string }) {
  const fanOut = createMembershipFanOut({ models, client, taskQueue });

  return {
    async afterChange(by: string, before: PersonView | null, after: PersonView): Promise<void> {
      if (before?.active && !after.active) {
        await client.workflow.start<typeof personDeactivationWorkflow>('personDeactivationWorkflow', {
          workflowId: personDeactivationWorkflowId(after.id, after.version),
          taskQueue,
          args: [{ person: after, by }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `Hand-over after ${after.name} was deactivated`.slice(0, 200),
          staticDetails: `By ${by}`,
        });
      }
      if (before && before.active !== after.active) {
        const teamIds = (await models.TeamMember.findAll({ where: { user_id: after.id } })).map((m) => m.get('team_id') as number);
        if (teamIds.length === 0) return;
        // Who is active is part of a team's effective membership: its version moves, so its tickets take the change up.
        await models.Team.increment('version', { where: { id: teamIds } });
        await fanOut.teamsChanged(teamIds, `${after.name} was ${after.active ? 'reactivated' : 'deactivated'} in the directory (${by})`);
      }
    },
    /** Team memberships changed (an admin's edit of a person, SCIM group mappings): the teams' open tickets take the change up. */
    teamsChanged: (teamIds: number[], reason: string) => fanOut.teamsChanged(teamIds, reason),
  };
}

export type PersonEffects = ReturnType<typeof createPersonEffects>;
