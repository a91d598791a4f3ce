import { continueAsNew, proxyActivities, setCurrentDetails, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { createFanOutActivities } from '../activities/fan-out';
import type { TeamMembership } from './definitions';
import type { CalendarSnapshot } from './domain/types';

/** Made inside the workflow, so the API can import this module's id helpers without a workflow context. */
function activities() {
  return proxyActivities<ReturnType<typeof createFanOutActivities>>({
    startToCloseTimeout: '2 minutes',
    // Our own database and Temporal: keep trying until they answer; each batch is idempotent.
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  });
}

/** Tickets per activity: one query and one round of signals, small enough to retry whole. */
export const FAN_OUT_BATCH = 50;
/** History stays small however many tickets are told: continue as new well before it grows. */
const BATCHES_PER_RUN = 200;

/** What open tickets are told: an edited business calendar, or a team's current membership. */
export type FanOutChange = { kind: 'calendar'; calendar: CalendarSnapshot } | { kind: 'team_membership'; team: TeamMembership; teamName: string };

export interface FanOutInput {
  change: FanOutChange;
  reason: string;
  /** Carried across continue-as-new: the last ticket number handled and the counts so far. */
  progress?: FanOutProgress;
}

/** The input of calendar fan-outs started before membership changes shared this workflow. */
export interface CalendarFanOutInput {
  calendar: CalendarSnapshot;
  reason: string;
  progress?: FanOutProgress;
}

export interface FanOutProgress {
  afterNumber: number;
  signalled: number;
  /** Tickets that closed between the query and the signal: nothing left to tell. */
  closed: number;
  batches: number;
}

/** One fan-out per calendar version: a repeated start finds the running one, and the signal itself ignores older versions. */
export function calendarFanOutWorkflowId(calendarId: number, version: number): string {
  return `calendar-fan-out-${calendarId}-v${version}`;
}

/** One fan-out per team version: every membership change bumps it, and a ticket ignores versions it already has. */
export function teamMembershipFanOutWorkflowId(teamId: number, version: number): string {
  return `team-membership-fan-out-${teamId}-v${version}`;
}

/**
 * Tells every open ticket a change made in the admin console or the directory reaches, in
 * batches, until none is left: an edited calendar goes to the open tickets of the teams on
 * it, a team's new membership to the team's open tickets. Started by the API instead of
 * signalling inside the HTTP request, so thousands of tickets, or a Temporal hiccup, never
 * fail the edit or leave tickets untold: each batch is retried until it succeeds, and
 * progress shows in Temporal UI (current details and the `progress` memo).
 */
export async function openTicketsFanOutWorkflow(input: FanOutInput): Promise<FanOutProgress> {
  const progress: FanOutProgress = input.progress ?? { afterNumber: 0, signalled: 0, closed: 0, batches: 0 };
  const { change } = input;
  const label = change.kind === 'calendar' ? `calendar ${change.calendar.name} v${change.calendar.version}` : `team ${change.teamName} membership v${change.team.version}`;
  for (let inThisRun = 0; ; inThisRun++) {
    if (inThisRun >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof openTicketsFanOutWorkflow>({ ...input, progress });
    }
    const numbers = await openTickets(change, progress.afterNumber);
    if (numbers.length === 0) break;
    const result = await tell(change, numbers, input.reason);
    progress.signalled += result.signalled;
    progress.closed += result.closed;
    progress.batches += 1;
    progress.afterNumber = numbers[numbers.length - 1]!;
    report(label, progress, false);
  }
  report(label, progress, true);
  return progress;
}

/**
 * Calendar fan-outs started before the workflow was shared keep their type; it runs the same
 * loop with the same activities, so such a run replays unchanged (and when it continues as new,
 * its next run gets the shared input).
 */
export async function calendarFanOutWorkflow(input: CalendarFanOutInput | FanOutInput): Promise<FanOutProgress> {
  if ('change' in input) return openTicketsFanOutWorkflow(input);
  return openTicketsFanOutWorkflow({ change: { kind: 'calendar', calendar: input.calendar }, reason: input.reason, progress: input.progress });
}

function openTickets(change: FanOutChange, afterNumber: number): Promise<number[]> {
  const { openTicketsOnCalendar, openTicketsOfTeam } = activities();
  return change.kind === 'calendar'
    ? openTicketsOnCalendar({ calendarId: change.calendar.id, afterNumber, limit: FAN_OUT_BATCH })
    : openTicketsOfTeam({ teamId: change.team.teamId, afterNumber, limit: FAN_OUT_BATCH });
}

function tell(change: FanOutChange, numbers: number[], reason: string): Promise<{ signalled: number; closed: number }> {
  const { signalCalendarChanged, signalTeamMembershipChanged } = activities();
  return change.kind === 'calendar'
    ? signalCalendarChanged({ numbers, calendar: change.calendar, reason })
    : signalTeamMembershipChanged({ numbers, team: change.team, reason });
}

function report(label: string, progress: FanOutProgress, done: boolean): void {
  upsertMemo({ progress: { ...progress, done } });
  setCurrentDetails(
    `${done ? 'Done' : 'In progress'}: ${label} told to ${progress.signalled} open ticket(s) in ${progress.batches} batch(es)` +
      (progress.closed ? `, ${progress.closed} closed meanwhile` : '') +
      (done ? '' : `; next after #${progress.afterNumber}`),
  );
}
