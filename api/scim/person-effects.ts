import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Op } from 'sequelize';
import type { Models } from '../../lib/db/models';
import { createMembershipFanOut } from '../admin/team-membership';
import { delegateUpdate, ticketWorkflowId } from '../../workflows/definitions';
import type { PersonView } from './people';

/** Statuses in which a ticket still needs its assignee. */
const OPEN = ['new', 'assigned', 'in_progress', 'waiting_on_requester', 'waiting_on_vendor'];

/**
 * What a directory change does to running tickets. A deactivated person's waiting approval
 * steps are handed on (the ticket's own delegate update, so the timeline records who took
 * the step over and why), and the leads of their teams hear about their open tickets.
 * Their teams' open tickets learn the team without them (or, on reactivation, with them
 * again), as they learn any membership change: no backup escalation or manual assignment to them.
 * Auto-assignment skips inactive people by itself (activities/assignment.ts). A changed
 * manager needs nothing here: approval chains are resolved when a ticket starts, so steps
 * of later tickets go to the new manager and running ones keep theirs.
 */
export function createPersonEffects({ models, client, logger, taskQueue }: { models: Models; client: Client; logger: Logger; taskQueue: string }) {
  const fanOut = createMembershipFanOut({ models, client, taskQueue });
  const personName = async (id: number) => ((await models.User.findByPk(id))?.get('name') as string | undefined) ?? `#${id}`;
  const isActive = async (id: number | null) => id !== null && Boolean((await models.User.findByPk(id))?.get('active'));

  /** The manager, else the head of the person's department, else the head of the ticket's department; never the requester. */
  async function successorFor(person: PersonView, ticketNumber: number): Promise<number | null> {
    const ticket = await models.Ticket.findByPk(ticketNumber);
    const requesterId = (ticket?.get('requester_id') as number | undefined) ?? null;
    const heads = async (departmentId: number | null) =>
      departmentId === null ? null : (((await models.Department.findByPk(departmentId))?.get('head_user_id') as number | null) ?? null);
    const candidates = [person.managerId, await heads(person.departmentId), await heads((ticket?.get('department_id') as number | null) ?? null)];
    for (const id of candidates) if (id !== null && id !== person.id && id !== requesterId && (await isActive(id))) return id;
    return null;
  }

  async function handOnApprovals(person: PersonView, by: string): Promise<Array<{ ticketNumber: number; toUserId: number | null }>> {
    const tasks = await models.ApprovalTask.findAll({ where: { acting_user_id: person.id, status: { [Op.in]: ['pending', 'waiting_info'] } }, order: [['ticket_number', 'ASC']] });
    const moved: Array<{ ticketNumber: number; toUserId: number | null }> = [];
    for (const task of tasks) {
      const ticketNumber = task.get('ticket_number') as number;
      const step = task.get('step') as number;
      const toUserId = await successorFor(person, ticketNumber);
      moved.push({ ticketNumber, toUserId });
      if (toUserId === null) continue;
      const reason = `${person.name} was deactivated in the directory (${by}); the step moves to ${await personName(toUserId)}`;
      try {
        // The departed approver's own delegation, so the workflow applies its usual rules; the
        // update id makes a repeated deactivation (a retried SCIM call) a no-op.
        await client.workflow.getHandle(ticketWorkflowId(ticketNumber)).executeUpdate(delegateUpdate, {
          args: [{ actor: { kind: 'user', userId: person.id, name: person.name, roles: person.roles, teamIds: [], departmentId: person.departmentId }, step, toUserId, reason }],
          updateId: `deactivated:${person.id}:v${person.version}:${ticketNumber}:${step}`,
        });
      } catch (err) {
        logger.warn({ err, ticketNumber, personId: person.id }, 'could not hand on the approval step of a deactivated person');
        moved[moved.length - 1]!.toUserId = null;
      }
    }
    return moved;
  }

  async function reportOpenTickets(person: PersonView, by: string, approvalsLeft: number[]): Promise<void> {
    const tickets = await models.Ticket.findAll({ where: { assignee_id: person.id, status: { [Op.in]: OPEN } }, order: [['number', 'ASC']] });
    const memberships = await models.TeamMember.findAll({ where: { user_id: person.id } });
    const teamIds = [...new Set([...memberships.map((m) => m.get('team_id') as number), ...tickets.map((t) => t.get('team_id') as number)])];
    const leads = await models.TeamMember.findAll({ where: { team_id: teamIds, membership: 'lead', user_id: { [Op.ne]: person.id } } });
    const now = new Date();
    for (const lead of leads) {
      const leadId = lead.get('user_id') as number;
      if (!(await isActive(leadId))) continue;
      const teamId = lead.get('team_id') as number;
      const theirs = tickets.filter((t) => t.get('team_id') === teamId).map((t) => t.get('number') as number);
      if (theirs.length === 0 && approvalsLeft.length === 0) continue;
      const lines = [
        theirs.length ? `Open tickets still assigned to them: ${theirs.map((n) => `#${n}`).join(', ')}.` : 'They have no open tickets in your team.',
        approvalsLeft.length ? `Approval steps nobody could take over: ${approvalsLeft.map((n) => `#${n}`).join(', ')}.` : '',
      ].filter(Boolean);
      // One notice per lead, team and version of the person: a retried deactivation does not repeat it.
      await models.Notification.findOrCreate({
        where: { id: `person-deactivated:${person.id}:v${person.version}:${teamId}:${leadId}` },
        defaults: {
          user_id: leadId,
          ticket_number: theirs[0] ?? null,
          kind: 'person_deactivated',
          title: `${person.name} was deactivated in the directory`,
          body: `${person.name} was deactivated (${by}). ${lines.join(' ')}`,
          created_at: now,
        },
      });
    }
  }

  return {
    async afterChange(by: string, before: PersonView | null, after: PersonView): Promise<void> {
      if (before?.active && !after.active) {
        const moved = await handOnApprovals(after, by);
        await reportOpenTickets(after, by, moved.filter((m) => m.toUserId === null).map((m) => m.ticketNumber));
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
