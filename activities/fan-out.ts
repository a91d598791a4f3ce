import { WorkflowNotFoundError } from '@temporalio/client';
import type { WhereOptions } from 'sequelize';
import { onOlderCalendar, onOlderPolicy, openTicketsWhere } from '../lib/db/open-tickets';
import { calendarChangedSignal, slaPolicyPublishedSignal, ticketWorkflowId } from '../workflows/definitions';
import type { CalendarSnapshot, SlaPolicySnapshot } from '../workflows/domain/types';
import type { ActivityDeps } from './index';

/** Signals in flight at once within a batch: enough to be quick, few enough not to flood the frontend. */
const CONCURRENCY = 10;

/** The activities of the fan-out workflows (workflows/fan-out.ts): which tickets, and telling them. */
export function createFanOutActivities({ models, temporal }: ActivityDeps) {
  async function numbers(where: WhereOptions, afterNumber: number, limit: number): Promise<number[]> {
    const tickets = await models.Ticket.findAll({ where: openTicketsWhere(where, afterNumber), attributes: ['number'], order: [['number', 'ASC']], limit });
    return tickets.map((t) => t.get('number') as number);
  }

  /**
   * Signals each ticket. A ticket that closed meanwhile is counted, not an error; any other
   * failure fails the batch after the rest were tried, and the retry signals the batch again,
   * which is harmless: a ticket ignores a version it already has.
   */
  async function signalAll(numbers: number[], send: (n: number) => Promise<void>): Promise<{ signalled: number; closed: number }> {
    if (!temporal) throw new Error('the fan-out activities need the worker\'s Temporal client');
    let signalled = 0;
    let closed = 0;
    let failure: unknown;
    for (let i = 0; i < numbers.length; i += CONCURRENCY) {
      await Promise.all(
        numbers.slice(i, i + CONCURRENCY).map(async (n) => {
          try {
            await send(n);
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
    /** Open tickets whose clocks run on an older version of this calendar. */
    async openTicketsOnCalendar({ calendarId, belowVersion, afterNumber, limit }: { calendarId: number; belowVersion: number; afterNumber: number; limit: number }): Promise<number[]> {
      return numbers(onOlderCalendar(calendarId, belowVersion), afterNumber, limit);
    },

    async openTicketsOnPolicy({ policyId, belowVersion, afterNumber, limit }: { policyId: number; belowVersion: number; afterNumber: number; limit: number }): Promise<number[]> {
      return numbers(onOlderPolicy(policyId, belowVersion), afterNumber, limit);
    },

    async signalCalendarChanged({ numbers, calendar, reason }: { numbers: number[]; calendar: CalendarSnapshot; reason: string }): Promise<{ signalled: number; closed: number }> {
      return signalAll(numbers, (n) => temporal!.client.workflow.getHandle(ticketWorkflowId(n)).signal(calendarChangedSignal, { calendar, reason }));
    },

    async signalPolicyPublished({ numbers, policy, reason }: { numbers: number[]; policy: SlaPolicySnapshot; reason: string }): Promise<{ signalled: number; closed: number }> {
      return signalAll(numbers, (n) => temporal!.client.workflow.getHandle(ticketWorkflowId(n)).signal(slaPolicyPublishedSignal, { policy, reason }));
    },
  };
}
