import type { CalendarSnapshot, SlaPolicySnapshot } from '../../workflows/domain/types';
import { approvalDeadlines } from '../../workflows/ticket-approval';
import { CALENDAR_VERSIONS_KEPT_PATCH, PAUSED_CLOCK_BREACH_PATCH } from '../../workflows/ticket-patches';
import { autoCloseAt } from '../../workflows/ticket-presentation';
import { slaSummary } from '../../workflows/ticket-sla';
import { AGENT, BERLIN, CRITICAL_POLICY, HIGH_POLICY, MANAGER, agent, approvalConfig, config, openTicket, user } from './fixtures/ticket';

// Monday 23 November 2026, 09:00 in Berlin (08:00 UTC): a plain working week.
const MONDAY_0900 = new Date('2026-11-23T08:00:00Z');
const minutesLater = (minutes: number) => new Date(MONDAY_0900.getTime() + minutes * 60_000);
const withoutPatch = (patch: string) => (asked: string) => asked !== patch;
const breaches = (ticket: ReturnType<typeof openTicket>) => ticket.pendingProjection().events.filter((e) => e.type === 'sla_breached').map((e) => e.data);

/** High (first response in 60 business minutes), assigned, worked 40 minutes, then waiting on the requester. */
function pausedAfterFortyMinutes(since?: (patch: string) => boolean) {
  // No ladder: the rungs at 30 and 45 minutes would reassign the ticket and muddy what is measured.
  const ticket = openTicket(MONDAY_0900, { config: config({ slaPolicies: [{ ...HIGH_POLICY, ladder: [] }, CRITICAL_POLICY] }), since });
  ticket.assignmentPending = false;
  ticket.apply('assign', { actor: agent, input: { assigneeId: AGENT } }, MONDAY_0900);
  ticket.apply('start', { actor: agent, input: {} }, MONDAY_0900);
  ticket.apply('wait_on_requester', { actor: agent, input: { reason: 'Which laptop?' } }, minutesLater(40));
  return ticket;
}

describe('SLA: a target that shrinks below what a paused clock counted', () => {
  test('when the priority goes up while the clock stands still past the new target, then the breach is recorded at that instant and stays through a reply and resolve from the pause', () => {
    const ticket = pausedAfterFortyMinutes();
    ticket.apply('set_priority', { actor: agent, input: { priority: 'critical', reason: 'the CEO' } }, minutesLater(41));
    expect(breaches(ticket)).toEqual([{ clock: 'first_response', dueAt: minutesLater(41).toISOString() }]);
    expect(slaSummary(ticket, minutesLater(41))!.firstResponse).toMatchObject({ state: 'breached', targetMinutes: 30, spentMinutes: 40 });
    // Resolution (240 minutes) still has time: only the clock past its target is breached.
    expect(ticket.state.sla!.resolution.breachedAt).toBeNull();

    ticket.reply({ actor: agent, body: 'Fixed it', visibility: 'public' }, minutesLater(50));
    ticket.apply('resolve', { actor: agent, input: { resolution: 'Replaced' } }, minutesLater(51));
    expect(ticket.state.sla!.firstResponse.breachedAt).toBe(minutesLater(41).getTime());
    expect(breaches(ticket)).toHaveLength(1);
  });

  test('when the new target still exceeds what the clock counted, then nothing is breached', () => {
    const calm = openTicket(MONDAY_0900, { config: config({ slaPolicies: [{ ...HIGH_POLICY, ladder: [] }, { ...CRITICAL_POLICY, firstResponseMinutes: 45 }] }) });
    calm.assignmentPending = false;
    calm.apply('assign', { actor: agent, input: { assigneeId: AGENT } }, MONDAY_0900);
    calm.apply('start', { actor: agent, input: {} }, MONDAY_0900);
    calm.apply('wait_on_requester', { actor: agent, input: { reason: 'Which laptop?' } }, minutesLater(40));
    calm.apply('set_priority', { actor: agent, input: { priority: 'critical', reason: 'the CEO' } }, minutesLater(41));
    expect(breaches(calm)).toEqual([]);
    expect(slaSummary(calm, minutesLater(41))!.firstResponse).toMatchObject({ state: 'paused', remainingMinutes: 5 });
  });

  test('when a run has not taken the patch, then it records no breach while paused, as it did', () => {
    const ticket = pausedAfterFortyMinutes(withoutPatch(PAUSED_CLOCK_BREACH_PATCH));
    ticket.apply('set_priority', { actor: agent, input: { priority: 'critical', reason: 'the CEO' } }, minutesLater(41));
    expect(breaches(ticket)).toEqual([]);
    expect(ticket.state.sla!.firstResponse.breachedAt).toBeNull();
  });

  test('when the first response was already sent, then a later priority change leaves the target it was met against', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.assignmentPending = false;
    ticket.reply({ actor: agent, body: 'Looking into it', visibility: 'public' }, minutesLater(20));
    ticket.apply('set_priority', { actor: agent, input: { priority: 'critical', reason: 'the CEO' } }, minutesLater(25));
    expect(slaSummary(ticket, minutesLater(25))!.firstResponse).toMatchObject({ state: 'met', targetMinutes: 60, spentMinutes: 20 });
    expect(slaSummary(ticket, minutesLater(25))!.resolution.targetMinutes).toBe(240);
  });
});

describe('SLA: a calendar version an admin applied is the team calendar from then on', () => {
  const strikeOnTuesday: CalendarSnapshot = { ...BERLIN, version: 2, holidays: [{ date: '2026-11-24', name: 'Strike' }] };
  // Monday 10:00 in Berlin: eight business hours later is Tuesday 10:00, or Wednesday 10:00 with the strike.
  const MONDAY_1000 = minutesLater(60);
  const at = (minutes: number) => new Date(MONDAY_1000.getTime() + minutes * 60_000);
  /** The network team counts on another calendar, so a transfer there leaves Berlin's clocks. */
  const withLondonNetwork = () => {
    const cfg = config();
    cfg.teams[1] = { ...cfg.teams[1]!, calendar: { ...BERLIN, id: 2, code: 'london', name: 'London office', timeZone: 'Europe/London' } };
    return cfg;
  };
  const roundTrip = (ticket: ReturnType<typeof openTicket>) => {
    const both = user(AGENT, ['agent'], [10, 11]);
    ticket.apply('transfer', { actor: both, input: { teamId: 11, reason: 'Network' } }, at(2));
    ticket.apply('transfer', { actor: both, input: { teamId: 10, reason: 'Back' } }, at(3));
  };

  test('when the clocks counted 24×7 for a critical ticket and the calendar got a new version, then a lower priority on business hours counts on that version, not around the clock', () => {
    const critical24x7: SlaPolicySnapshot = { ...CRITICAL_POLICY, clock: '24x7' };
    // Friday 27 November, 16:30 in Berlin.
    const friday = new Date('2026-11-27T15:30:00Z');
    const ticket = openTicket(friday, { priority: 'critical', config: config({ slaPolicies: [HIGH_POLICY, critical24x7] }) });
    ticket.assignmentPending = false;
    ticket.calendarChanged({ ...BERLIN, version: 2, holidays: [{ date: '2026-12-24', name: 'Christmas Eve' }] }, 'Christmas', new Date('2026-11-27T15:31:00Z'), true);
    expect(ticket.state.sla!.calendar.twentyFourSeven).toBe(true);
    ticket.apply('set_priority', { actor: agent, input: { priority: 'high', reason: 'Not urgent after all' } }, new Date('2026-11-27T15:35:00Z'));
    expect(ticket.state.sla!.calendar.twentyFourSeven).toBeUndefined();
    expect((ticket.state.sla!.calendar as CalendarSnapshot).version).toBe(2);
    // Five minutes counted around the clock, 25 more on Friday until 17:00, the last 30 on Monday from 09:00 Berlin.
    expect(slaSummary(ticket, new Date('2026-11-27T15:35:00Z'))!.firstResponse.dueAt).toBe('2026-11-30T08:30:00.000Z');
  });

  test('when the ticket is transferred away and back, then its clocks count on the applied version again', () => {
    const ticket = openTicket(MONDAY_1000, { config: withLondonNetwork() });
    ticket.assignmentPending = false;
    ticket.calendarChanged(strikeOnTuesday, 'Strike', at(1), true);
    roundTrip(ticket);
    expect((ticket.state.sla!.calendar as CalendarSnapshot).version).toBe(2);
    // 480 business minutes from Monday 10:00 Berlin skip the strike: Wednesday 10:00 (09:00 UTC).
    expect(slaSummary(ticket, at(3))!.resolution.dueAt).toBe('2026-11-25T09:00:00.000Z');
  });

  test('when a resolved ticket waits to auto-close, then the business days it waits skip the applied version\'s holidays', () => {
    const ticket = openTicket(MONDAY_0900, { config: config({ autoCloseAfterBusinessDays: 2 }) });
    ticket.assignmentPending = false;
    ticket.apply('assign', { actor: agent, input: { assigneeId: AGENT } }, MONDAY_0900);
    ticket.apply('start', { actor: agent, input: {} }, MONDAY_0900);
    ticket.calendarChanged({ ...BERLIN, version: 2, holidays: [{ date: '2026-11-24', name: 'One' }, { date: '2026-11-25', name: 'Two' }] }, 'Two days off', minutesLater(2), true);
    ticket.apply('resolve', { actor: agent, input: { resolution: 'Done' } }, minutesLater(3));
    // Thursday and Friday are the two business days: it closes at the end of Friday in Berlin.
    expect(autoCloseAt(ticket)!.toISOString()).toBe('2026-11-27T16:00:00.000Z');
  });

  test('when an approval step waits, then its reminder counts on the applied version', () => {
    const ticket = openTicket(MONDAY_1000, { config: config({ approval: approvalConfig([{ approverIds: [MANAGER], remindAfterHours: 8 }]) }) });
    ticket.calendarChanged(strikeOnTuesday, 'Strike', at(1), true);
    expect(approvalDeadlines(ticket).remindAt?.toISOString()).toBe('2026-11-25T09:00:00.000Z');
  });

  test('when a run has not taken the patch, then a transfer back counts on the start-time calendar, as it did', () => {
    const ticket = openTicket(MONDAY_1000, { config: withLondonNetwork(), since: withoutPatch(CALENDAR_VERSIONS_KEPT_PATCH) });
    ticket.assignmentPending = false;
    ticket.calendarChanged(strikeOnTuesday, 'Strike', at(1), true);
    expect((ticket.state.sla!.calendar as CalendarSnapshot).version).toBe(2);
    expect(ticket.state.calendars).toBeUndefined();
    roundTrip(ticket);
    expect((ticket.state.sla!.calendar as CalendarSnapshot).version).toBe(1);
  });
});
