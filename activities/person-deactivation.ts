import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Op } from 'sequelize';
import type { PersonView } from '../api/scim/people';
import { delegateUpdate, ticketWorkflowId } from '../workflows/definitions';
import type { ActivityDeps } from './index';

/** Statuses in which a ticket still needs its assignee. */
const OPEN = ['new', 'assigned', 'in_progress', 'waiting_on_requester', 'waiting_on_vendor'];

export interface DeactivatedPerson {
  person: PersonView;
  /** Who deactivated them: `scim:<client>`, `admin <name>`, an import. */
  by: string;
}

/**
 * The activities of personDeactivationWorkflow (workflows/person-deactivation.ts). Both may
 * run more than once (a retry after a worker or database fault): the hand-over's update ids
 * and the notices' ids make a repeat change nothing.
 */
export function createPersonDeactivationActivities({ models, temporal, logger }: ActivityDeps) {
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

  return {
    /**
     * Hands each approval step waiting on the person to their successor, through the ticket's
     * own delegate update, so the workflow applies its usual rules and the timeline says who took
     * the step over and why. Answers the tickets whose step nobody could take over. Temporal or
     * the database unreachable fails the activity, and the retry hands on what is still waiting;
     * a step the ticket refuses to hand on (decided meanwhile) is counted as left, not retried.
     */
    async handOnApprovalsOfDeactivated({ person, by }: DeactivatedPerson): Promise<{ handedOn: number; left: number[] }> {
      if (!temporal) throw new Error("handing on approvals needs the worker's Temporal client");
      const tasks = await models.ApprovalTask.findAll({
        where: { acting_user_id: person.id, status: { [Op.in]: ['pending', 'waiting_info'] } },
        order: [['ticket_number', 'ASC'], ['step', 'ASC']],
      });
      let handedOn = 0;
      const left: number[] = [];
      for (const task of tasks) {
        const ticketNumber = task.get('ticket_number') as number;
        const step = task.get('step') as number;
        const toUserId = await successorFor(person, ticketNumber);
        if (toUserId === null) {
          left.push(ticketNumber);
          continue;
        }
        const reason = `${person.name} was deactivated in the directory (${by}); the step moves to ${await personName(toUserId)}`;
        try {
          await temporal.client.workflow.getHandle(ticketWorkflowId(ticketNumber)).executeUpdate(delegateUpdate, {
            args: [{ actor: { kind: 'user', userId: person.id, name: person.name, roles: person.roles, teamIds: [], departmentId: person.departmentId }, step, toUserId, reason }],
            updateId: `deactivated:${person.id}:v${person.version}:${ticketNumber}:${step}`,
          });
          handedOn += 1;
        } catch (err) {
          if (!(err instanceof WorkflowUpdateFailedError) && !(err instanceof WorkflowNotFoundError)) throw err;
          logger.warn({ err, ticketNumber, step, personId: person.id }, 'the ticket refused to hand on the approval step of a deactivated person');
          left.push(ticketNumber);
        }
      }
      return { handedOn, left: [...new Set(left)] };
    },

    /** Tells the leads of the person's teams which open tickets are still theirs, and which approval steps nobody took over. */
    async reportDeactivatedPersonsTickets({ person, by, approvalsLeft }: DeactivatedPerson & { approvalsLeft: number[] }): Promise<{ told: number }> {
      const tickets = await models.Ticket.findAll({ where: { assignee_id: person.id, status: { [Op.in]: OPEN } }, order: [['number', 'ASC']] });
      const memberships = await models.TeamMember.findAll({ where: { user_id: person.id } });
      const teamIds = [...new Set([...memberships.map((m) => m.get('team_id') as number), ...tickets.map((t) => t.get('team_id') as number)])];
      const leads = await models.TeamMember.findAll({ where: { team_id: teamIds, membership: 'lead', user_id: { [Op.ne]: person.id } } });
      let told = 0;
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
        // One notice per lead, team and version of the person: a retried run does not repeat it.
        await models.Notification.findOrCreate({
          where: { id: `person-deactivated:${person.id}:v${person.version}:${teamId}:${leadId}` },
          defaults: {
            user_id: leadId,
            ticket_number: theirs[0] ?? null,
            kind: 'person_deactivated',
            title: `${person.name} was deactivated in the directory`,
            body: `${person.name} was deactivated (${by}). ${lines.join(' ')}`,
            created_at: new Date(),
          },
        });
        told += 1;
      }
      return { told };
    },
  };
}
