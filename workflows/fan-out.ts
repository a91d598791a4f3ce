import { continueAsNew, proxyActivities, setCurrentDetails, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { createFanOutActivities } from '../activities/fan-out';
import type { CalendarSnapshot, SlaPolicySnapshot } from './domain/types';

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

export interface PolicyFanOutInput {
  policy: SlaPolicySnapshot;
  reason: string;
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

/** One fan-out per policy version, as for calendars. */
export function policyFanOutWorkflowId(policyId: number, version: number): string {
  return `sla-policy-fan-out-${policyId}-v${version}`;
}

/**
 * Applies a published calendar version to the open tickets whose clocks run on an older
 * version of it, in batches, until none is left. Started only when an admin chooses "apply
 * to open tickets" (a calendar edit alone reaches no running ticket), instead of signalling
 * inside the HTTP request, so thousands of tickets, or a Temporal hiccup, never fail the
 * request or leave tickets untold: each batch is retried until it succeeds, and progress
 * shows in Temporal UI (current details and the `progress` memo).
 */
export async function calendarFanOutWorkflow(input: CalendarFanOutInput): Promise<FanOutProgress> {
  const { openTicketsOnCalendar, signalCalendarChanged } = activities();
  return fanOut(`calendar ${input.calendar.name} v${input.calendar.version}`, input.progress, {
    next: (afterNumber) => openTicketsOnCalendar({ calendarId: input.calendar.id, belowVersion: input.calendar.version, afterNumber, limit: FAN_OUT_BATCH }),
    tell: (numbers) => signalCalendarChanged({ numbers, calendar: input.calendar, reason: input.reason }),
    continueAsNew: (progress) => continueAsNew<typeof calendarFanOutWorkflow>({ ...input, progress }),
  });
}

/** Applies a published SLA policy version to the open tickets on an older version of it (see calendarFanOutWorkflow). */
export async function slaPolicyFanOutWorkflow(input: PolicyFanOutInput): Promise<FanOutProgress> {
  const { openTicketsOnPolicy, signalPolicyPublished } = activities();
  return fanOut(`SLA policy #${input.policy.id} (${input.policy.priority}) v${input.policy.version}`, input.progress, {
    next: (afterNumber) => openTicketsOnPolicy({ policyId: input.policy.id, belowVersion: input.policy.version, afterNumber, limit: FAN_OUT_BATCH }),
    tell: (numbers) => signalPolicyPublished({ numbers, policy: input.policy, reason: input.reason }),
    continueAsNew: (progress) => continueAsNew<typeof slaPolicyFanOutWorkflow>({ ...input, progress }),
  });
}

interface FanOutSteps {
  next(afterNumber: number): Promise<number[]>;
  tell(numbers: number[]): Promise<{ signalled: number; closed: number }>;
  continueAsNew(progress: FanOutProgress): Promise<never>;
}

async function fanOut(label: string, carried: FanOutProgress | undefined, steps: FanOutSteps): Promise<FanOutProgress> {
  const progress: FanOutProgress = carried ?? { afterNumber: 0, signalled: 0, closed: 0, batches: 0 };
  for (let inThisRun = 0; ; inThisRun++) {
    if (inThisRun >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) await steps.continueAsNew(progress);
    const numbers = await steps.next(progress.afterNumber);
    if (numbers.length === 0) break;
    const result = await steps.tell(numbers);
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
    `${done ? 'Done' : 'In progress'}: ${label} applied to ${progress.signalled} open ticket(s) in ${progress.batches} batch(es)` +
      (progress.closed ? `, ${progress.closed} closed meanwhile` : '') +
      (done ? '' : `; next after #${progress.afterNumber}`),
  );
}
