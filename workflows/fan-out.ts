import { continueAsNew, proxyActivities, setCurrentDetails, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { createFanOutActivities } from '../activities/fan-out';
import type { CalendarSnapshot } from './domain/types';

/** Made inside the workflow, so the API can import this module's id helper without a workflow context. */
function activities() {
  return proxyActivities<ReturnType<typeof createFanOutActivities>>({
    startToCloseTimeout: '2 minutes',
    // Our own database and Temporal: keep trying until they answer; each batch is idempotent.
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  });
}

/** Tickets per activity: one query and one round of signals, small enough to retry whole. */
export const FAN_OUT_BATCH = 50;
/** History stays small however many tickets a calendar has: continue as new well before it grows. */
const BATCHES_PER_RUN = 200;

export interface CalendarFanOutInput {
  calendar: CalendarSnapshot;
  reason: string;
  /** Carried across continue-as-new: the last ticket number handled and the counts so far. */
  progress?: FanOutProgress;
}

export interface FanOutProgress {
  afterNumber: number;
  signalled: number;
  /** Tickets that closed between the query and the signal: nothing left to recompute. */
  closed: number;
  batches: number;
}

/** One fan-out per calendar version: a repeated start finds the running one, and the signal itself ignores older versions. */
export function calendarFanOutWorkflowId(calendarId: number, version: number): string {
  return `calendar-fan-out-${calendarId}-v${version}`;
}

/**
 * Tells every open ticket of the teams on an edited calendar, in batches, until none is
 * left. Started by the admin API instead of signalling inside the HTTP request, so a
 * calendar shared by thousands of tickets, or a Temporal hiccup, never fails the edit or
 * leaves tickets untold: each batch is retried until it succeeds, and progress shows in
 * Temporal UI (current details and the `progress` memo).
 */
export async function calendarFanOutWorkflow(input: CalendarFanOutInput): Promise<FanOutProgress> {
  const { openTicketsOnCalendar, signalCalendarChanged } = activities();
  const progress: FanOutProgress = input.progress ?? { afterNumber: 0, signalled: 0, closed: 0, batches: 0 };
  const label = `calendar ${input.calendar.name} v${input.calendar.version}`;
  for (let inThisRun = 0; ; inThisRun++) {
    if (inThisRun >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof calendarFanOutWorkflow>({ ...input, progress });
    }
    const numbers = await openTicketsOnCalendar({ calendarId: input.calendar.id, afterNumber: progress.afterNumber, limit: FAN_OUT_BATCH });
    if (numbers.length === 0) break;
    const result = await signalCalendarChanged({ numbers, calendar: input.calendar, reason: input.reason });
    progress.signalled += result.signalled;
    progress.closed += result.closed;
    progress.batches += 1;
    progress.afterNumber = numbers[numbers.length - 1]!;
    report(label, progress, false);
  }
  report(label, progress, true);
  return progress;
}

function report(label: string, progress: FanOutProgress, done: boolean): void {
  upsertMemo({ progress: { ...progress, done } });
  setCurrentDetails(
    `${done ? 'Done' : 'In progress'}: ${label} told to ${progress.signalled} open ticket(s) in ${progress.batches} batch(es)` +
      (progress.closed ? `, ${progress.closed} closed meanwhile` : '') +
      (done ? '' : `; next after #${progress.afterNumber}`),
  );
}
