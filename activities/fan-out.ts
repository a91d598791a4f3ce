import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { Op } from 'sequelize';
import { calendarChangedSignal, teamMembershipChangedSignal, ticketWorkflowId, type TeamMembership } from '../workflows/definitions';
import { TERMINAL_STATUSES, type CalendarSnapshot } from '../workflows/domain/types';
import type { ActivityDeps } from './index';

/** Signals in flight at once within a batch: enough to be quick, few enough not to flood the frontend. */
const CONCURRENCY = 10;

/** The activities of the fan-out workflow (workflows/fan-out.ts): which tickets, and telling them. */
export function createFanOutActivities({ models, temporal }: ActivityDeps) {
  /** Open tickets owned by these teams, in ticket-number order after a cursor. */
  async function openTicketsOfTeams(teamIds: number[], afterNumber: number, limit: number): Promise<number[]> {
    if (teamIds.length === 0) return [];
    const tickets = await models.Ticket.findAll({
      where: { team_id: { [Op.in]: teamIds }, status: { [Op.notIn]: [...TERMINAL_STATUSES] }, number: { [Op.gt]: afterNumber } },
      attributes: ['number'],
      order: [['number', 'ASC']],
      limit,
    });
    return tickets.map((t) => t.get('number') as number);
  }

  /**
   * Signals each ticket. A ticket that closed meanwhile is counted, not an error; any other
   * failure fails the batch after the rest were tried, and the retry signals the batch again,
   * which is harmless: a ticket ignores a version it already has.
   */
  async function signalEach(numbers: number[], send: (handle: WorkflowHandle) => Promise<void>) {
    if (!temporal) throw new Error('the fan-out activities need the worker\'s Temporal client');
    let signalled = 0;
    let closed = 0;
    let failure: unknown;
    for (let i = 0; i < numbers.length; i += CONCURRENCY) {
      await Promise.all(
        numbers.slice(i, i + CONCURRENCY).map(async (n) => {
          try {
            await send(temporal.client.workflow.getHandle(ticketWorkflowId(n)));
            signalled += 1;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) closed += 1;
            else failure ??= err;
          }
        }),
      );
    }
    if (failure) throw failure;
    return { signalled, closed };
  }

  return {
    /** Open tickets of the teams on this calendar. */
    async openTicketsOnCalendar({ calendarId, afterNumber, limit }: { calendarId: number; afterNumber: number; limit: number }): Promise<number[]> {
      const teams = await models.Team.findAll({ where: { calendar_id: calendarId }, attributes: ['id'] });
      return openTicketsOfTeams(teams.map((t) => t.get('id') as number), afterNumber, limit);
    },

    /** Open tickets the team owns. */
    async openTicketsOfTeam({ teamId, afterNumber, limit }: { teamId: number; afterNumber: number; limit: number }): Promise<number[]> {
      return openTicketsOfTeams([teamId], afterNumber, limit);
    },

    async signalCalendarChanged({ numbers, calendar, reason }: { numbers: number[]; calendar: CalendarSnapshot; reason: string }): Promise<{ signalled: number; closed: number }> {
      return signalEach(numbers, (handle) => handle.signal(calendarChangedSignal, { calendar, reason }));
    },

    async signalTeamMembershipChanged({ numbers, team, reason }: { numbers: number[]; team: TeamMembership; reason: string }): Promise<{ signalled: number; closed: number }> {
      return signalEach(numbers, (handle) => handle.signal(teamMembershipChangedSignal, { team, reason }));
    },
  };
}
