import { patched } from '@temporalio/workflow';

/**
 * The ticket workflow's patches (workflows/ticket.ts): each guards a change of behaviour that
 * running tickets started before it must not see, so their histories replay unchanged.
 */

/** Tickets started before this patch have no SLA clocks or approval chains; their histories replay unchanged. */
export const SLA_AND_APPROVALS_PATCH = 'sla-and-approvals';
/** Tickets started before this patch notify only approvers and escalations. */
export const EVENT_NOTIFICATIONS_PATCH = 'event-notifications';
/**
 * Tickets started before this patch have no SLA warning timer, notify nobody of a breach,
 * and notify nobody mentioned in an internal note.
 */
export const SLA_NOTICES_PATCH = 'sla-notices';
/** Tickets started before this patch keep counting a step's reminder and escalation time while information is requested. */
export const APPROVAL_TIMERS_PAUSE_PATCH = 'approval-timers-pause';
/** Runs before this patch ran notify/page effects first and projected afterwards. */
export const PROJECT_BEFORE_EFFECTS_PATCH = 'project-before-effects';
/**
 * Runs before this patch chose assignees and projected through ordinary activities (a workflow
 * task each), ran effects one at a time, and upserted search attributes on every projection
 * even when none had changed.
 */
export const LOCAL_DB_WRITES_PATCH = 'local-db-writes';
/**
 * Runs before this patch decided from the team membership snapshotted at start and ignored
 * membership changes; asked when such a change arrives, so a run that ignored one replays unchanged.
 */
export const TEAM_MEMBERSHIP_SIGNAL_PATCH = 'team-membership-signal';
/** Runs before this patch waited to finish or continue as new only while nothing was left to project (an update accepted then hung). */
export const FINISH_WAKES_ON_WORK_PATCH = 'finish-wakes-on-work';
/** Runs before this patch recorded an applied calendar version only when a due instant moved. */
export const APPLIED_VERSION_RECORDED_PATCH = 'applied-version-recorded';
/** Runs before this patch started their due-point timers without a summary for Temporal UI. */
export const TIMER_SUMMARIES_PATCH = 'timer-summaries';
/**
 * Runs before this patch waited for a turn's effects (notify, page) to finish before taking
 * the next change: a notify retrying through a long outage held every later update unanswered.
 */
export const EFFECTS_OFF_LOOP_PATCH = 'effects-off-loop';
/**
 * Runs before this patch ran one `notify` activity (and one email delivery workflow) per
 * notification: a created ticket's receipt, team and assignee notices were three of each.
 */
export const NOTIFY_BATCHED_PATCH = 'notify-batched';
/**
 * Runs before this patch cancelled the due-point timer whenever work woke the loop, and set
 * it again. A timer that fires while the task cancelling it is running makes Temporal's Java
 * test server refuse that task's completion and never hand the task out again (sdk-java #2606,
 * #3088): the ticket hung. Now a due-point timer is never cancelled; one that outlives its
 * instant (the due point moved) fires into a wait that ignores it.
 */
export const DUE_TIMERS_KEPT_PATCH = 'due-timers-kept';

/**
 * Runs before this patch recorded a change's notifications in a `notifyAll` activity of their
 * own after projecting it (one activity task, and one more workflow task to take its outcome);
 * from it on they are recorded by the projection's local activity (`projectAndNotify`).
 */
export const NOTIFY_WITH_PROJECTION_PATCH = 'notify-with-projection';

/**
 * Runs before this patch ignored a target that shrank (priority change, transfer, a published
 * policy) below the time a paused clock had already counted: no breach was recorded until the
 * clock ran again, and none at all when the ticket was answered or resolved straight from the
 * pause. Asked only when that happens, so only such a run records its marker.
 */
export const PAUSED_CLOCK_BREACH_PATCH = 'paused-clock-breach';
/**
 * Runs before this patch kept an applied calendar version only in the clocks: a transfer back
 * to the team, auto-close and the approval timers counted on the start-time snapshot, and a
 * priority change kept a 24×7 flag the old policy had put on the edited calendar. Asked when a
 * calendar version arrives.
 */
export const CALENDAR_VERSIONS_KEPT_PATCH = 'calendar-versions-kept';

/** The patches ALL_EARLIER_PATCHES stands for: every one above it except NOTIFY_WITH_PROJECTION_PATCH, which came after it. */
const BEFORE_ALL_EARLIER_PATCHES = new Set([
  SLA_AND_APPROVALS_PATCH,
  EVENT_NOTIFICATIONS_PATCH,
  SLA_NOTICES_PATCH,
  APPROVAL_TIMERS_PAUSE_PATCH,
  PROJECT_BEFORE_EFFECTS_PATCH,
  LOCAL_DB_WRITES_PATCH,
  TEAM_MEMBERSHIP_SIGNAL_PATCH,
  FINISH_WAKES_ON_WORK_PATCH,
  APPLIED_VERSION_RECORDED_PATCH,
  TIMER_SUMMARIES_PATCH,
  EFFECTS_OFF_LOOP_PATCH,
  NOTIFY_BATCHED_PATCH,
  DUE_TIMERS_KEPT_PATCH,
]);

/**
 * Runs from this patch on take the behaviour of every patch before it without asking for each.
 * Each patch a run asks for records a marker, and Temporal's core SDK upserts the
 * TemporalChangeVersion search attribute with it: ten patches made a created ticket ten
 * markers and ten visibility updates more on the server. A run that recorded this one asks
 * for none of them (only for NOTIFY_WITH_PROJECTION_PATCH, which came later); a run without it
 * (started earlier) asks for each as before, so its history replays unchanged.
 */
const ALL_EARLIER_PATCHES = 'all-earlier-patches';
/**
 * The same again, one generation on: ALL_EARLIER_PATCHES and NOTIFY_WITH_PROJECTION_PATCH in one
 * marker, so new runs still record a single one. A run that recorded ALL_EARLIER_PATCHES asks for
 * NOTIFY_WITH_PROJECTION_PATCH at its start, finds no marker and keeps `notifyAll`.
 */
const PATCHES_THROUGH_NOTIFY_WITH_PROJECTION = 'patches-through-notify-with-projection';

/**
 * Whether this run takes a patch's behaviour, for the patches above: a run that recorded the
 * newest generation marker takes them all without asking; one that recorded an older generation
 * takes that generation's patches and asks for the rest; a run started before any asks for each.
 * Called once, at the start of a run.
 */
export function earlierPatches(): (patch: string) => boolean {
  const throughNotifyWithProjection = patched(PATCHES_THROUGH_NOTIFY_WITH_PROJECTION);
  const allEarlier = !throughNotifyWithProjection && patched(ALL_EARLIER_PATCHES);
  return (patch) =>
    (throughNotifyWithProjection && (patch === NOTIFY_WITH_PROJECTION_PATCH || BEFORE_ALL_EARLIER_PATCHES.has(patch))) ||
    (allEarlier && BEFORE_ALL_EARLIER_PATCHES.has(patch)) ||
    patched(patch);
}
