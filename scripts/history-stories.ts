import type { LifecycleAction } from '../workflows/domain/status-machine';

/**
 * What scripts/record-histories.ts records: representative ticket stories (a category, then
 * steps taken by the people involved), and the names of the other workflows' recordings.
 * Adding a story here and recording it by name leaves every earlier recording as it was made.
 */
export type Step = [
  LifecycleAction | 'approve' | 'request_info' | 'reply' | 'note' | 'edit_fields' | 'apply_policy' | 'apply_calendar' | 'membership' | 'timer_fired',
  'requester' | 'agent' | 'approver' | 'admin',
  Record<string, unknown>?,
];
export interface Story {
  name: string;
  category: string;
  title: string;
  steps: Step[];
  customFields?: Record<string, unknown>;
  /** Continue as new once history passes this many events (the operator's budget), to record both runs. */
  continueAsNewAfterEvents?: number;
  /** Steps taken on the run that continued as new. */
  afterContinueAsNew?: Step[];
  /** A first-response target this short, on a 24x7 clock, so a due-point timer fires while the story is recorded. */
  firstResponseMinutes?: number;
}
const RECORDED_STORIES: Story[] = [
  {
    name: 'purchase-two-step-approval',
    category: 'fin-purchase',
    title: 'Design tool licences',
    customFields: { amount: 2500, vendor: 'Acme' },
    steps: [
      ['approve', 'approver'],
      ['approve', 'approver'],
    ],
  },
  {
    name: 'laptop-reply-priority-vendor-wait',
    category: 'it-laptop',
    title: 'Laptop keyboard broken',
    steps: [
      ['reply', 'agent', { body: 'Looking into it', visibility: 'public' }],
      ['set_priority', 'agent', { priority: 'high', reason: 'Blocks work' }],
      ['start', 'agent'],
      ['wait_on_vendor', 'agent', { reason: 'Part ordered' }],
      ['resume', 'agent'],
      ['resolve', 'agent', { resolution: 'Keyboard replaced' }],
    ],
  },
  {
    name: 'laptop-full-lifecycle',
    category: 'it-laptop',
    title: 'Laptop for a new hire',
    steps: [
      ['start', 'agent'],
      ['wait_on_requester', 'agent', { reason: 'Which model?' }],
      ['resume', 'agent'],
      ['resolve', 'agent', { resolution: 'Delivered' }],
      ['reopen', 'requester', { reason: 'Charger missing' }],
      ['resolve', 'agent', { resolution: 'Charger delivered' }],
      ['close', 'requester'],
    ],
  },
  { name: 'payroll-queue-cancelled', category: 'hr-payroll', title: 'Payslip question', steps: [['cancel', 'requester', { reason: 'Found it' }]] },
  { name: 'vpn-routed-by-keyword-open', category: 'it-access', title: 'VPN access for contractor', steps: [['start', 'agent']] },
  {
    name: 'laptop-fields-edited',
    category: 'it-laptop',
    title: 'Laptop for the design team',
    customFields: { model: 'Standard 14"' },
    steps: [
      ['start', 'agent'],
      ['wait_on_requester', 'agent', { reason: 'Which model, and by when?' }],
      ['edit_fields', 'requester', { model: 'Developer 16"', needed_by: '2026-12-14' }],
      ['resume', 'agent'],
      ['edit_fields', 'agent', { needed_by: null }],
      ['resolve', 'agent', { resolution: 'Delivered' }],
    ],
  },
  // Recorded with the single-writer entity, projection before effects and paused approval timers.
  {
    name: 'entity-purchase-request-info',
    category: 'fin-purchase',
    title: 'Monitors for the analysts',
    customFields: { amount: 2500, vendor: 'Acme' },
    steps: [
      ['request_info', 'approver', { question: 'Which model, and how many?' }],
      ['reply', 'requester', { body: 'Six of the 27" model' }],
      ['approve', 'approver'],
      ['approve', 'approver'],
    ],
  },
  {
    name: 'entity-laptop-note-mentions',
    category: 'it-laptop',
    title: 'Laptop will not boot',
    steps: [
      ['note', 'agent', { body: '@lee can you check the warranty?', mentions: ['lee'] }],
      ['reply', 'agent', { body: 'We are on it' }],
      ['start', 'agent'],
    ],
  },
  {
    name: 'entity-laptop-fields-edited',
    category: 'it-laptop',
    title: 'Laptop for the design team',
    customFields: { model: 'Standard 14"' },
    steps: [
      ['start', 'agent'],
      ['wait_on_requester', 'agent', { reason: 'Which model?' }],
      ['edit_fields', 'requester', { model: 'Developer 16"' }],
      ['reply', 'requester', { body: 'Changed it' }],
      ['edit_fields', 'agent', { needed_by: '2026-12-14' }],
      ['resolve', 'agent', { resolution: 'Delivered' }],
    ],
  },
  {
    name: 'entity-continue-as-new',
    category: 'it-laptop',
    title: 'A long conversation',
    continueAsNewAfterEvents: 60,
    steps: [
      ['start', 'agent'],
      ['reply', 'agent', { body: 'First question' }],
      ['reply', 'requester', { body: 'First answer' }],
      ['reply', 'agent', { body: 'Second question' }],
      ['reply', 'requester', { body: 'Second answer' }],
      ['reply', 'agent', { body: 'Third question' }],
      ['reply', 'requester', { body: 'Third answer' }],
      ['reply', 'agent', { body: 'Fourth question' }],
      ['reply', 'requester', { body: 'Fourth answer' }],
    ],
    afterContinueAsNew: [
      ['reply', 'requester', { body: 'One more thing' }],
      ['resolve', 'agent', { resolution: 'Answered' }],
      ['close', 'requester'],
    ],
  },
  // Recorded with policy and calendar versions applied to an open ticket, explanations and timer summaries.
  {
    name: 'versions-laptop-policy-and-calendar-applied',
    category: 'it-laptop',
    title: 'Laptop docking station',
    steps: [
      ['start', 'agent'],
      ['apply_policy', 'admin', { reason: 'resolution halved' }],
      ['wait_on_requester', 'agent', { reason: 'Which dock?' }],
      ['resume', 'agent'],
      ['apply_calendar', 'admin', { reason: 'holiday added tomorrow (company day off)' }],
      ['resolve', 'agent', { resolution: 'Dock delivered' }],
    ],
  },
  // Recorded with effects running beside the loop: the requester replies while the creation's
  // notifications may still be in flight, and each outcome is projected when it arrives.
  {
    name: 'effects-beside-the-loop',
    category: 'it-laptop',
    title: 'Keyboard missing keys',
    steps: [
      ['reply', 'requester', { body: 'The E and the R' }],
      ['start', 'agent'],
      ['resolve', 'agent', { resolution: 'Keyboard swapped' }],
      ['close', 'requester'],
    ],
  },
  // Recorded with a turn's notifications batched (notify-batched): the creation's receipt, team
  // and assignee notices in one notifyAll, as are the ones each later change calls for.
  {
    name: 'notifications-batched',
    category: 'it-laptop',
    title: 'Second monitor stays black',
    steps: [
      ['reply', 'requester', { body: 'Since the update on Monday' }],
      ['start', 'agent'],
      ['resolve', 'agent', { resolution: 'Cable replaced' }],
      ['close', 'requester'],
    ],
  },
  // Recorded with assignment and projection as local activities, and a team's membership
  // reaching the open ticket by signal: Nina joins the desk, and only then may take the ticket.
  {
    name: 'membership-joined-then-assigned',
    category: 'it-laptop',
    title: 'Docking station flickers',
    steps: [
      ['membership', 'agent', { join: 'nina' }],
      ['assign', 'agent', { assignee: 'nina' }],
      ['start', 'agent'],
      ['resolve', 'agent', { resolution: 'Cable replaced' }],
    ],
  },
  // Recorded with due-point timers kept (due-timers-kept): the agent's reply meets the first
  // response before its warning, whose timer is left to fire into the wait and change nothing;
  // the resolution warning's timer is set once and not set again by the later changes.
  {
    name: 'due-timers-kept',
    category: 'it-laptop',
    title: 'Laptop fan is loud',
    firstResponseMinutes: 1,
    steps: [
      ['reply', 'agent', { body: 'Sending a replacement' }],
      ['timer_fired', 'agent'],
      ['start', 'agent'],
      ['resolve', 'agent', { resolution: 'Fan replaced' }],
    ],
  },
  // Recorded with due-point timers kept: nobody answers, so the first response's warning and
  // then its breach fire on time and are handled, before the agent replies and resolves.
  {
    name: 'due-timers-fire-on-time',
    category: 'it-laptop',
    title: 'Laptop battery swells',
    firstResponseMinutes: 1,
    steps: [
      ['timer_fired', 'agent', { count: 2 }],
      ['reply', 'agent', { body: 'Stop using it, a replacement is on its way' }],
      ['resolve', 'agent', { resolution: 'Laptop replaced' }],
    ],
  },
  // Recorded with applied calendar versions kept (calendar-versions-kept): the ticket keeps the
  // new version as its team's calendar, and the priority change after it counts on that version.
  {
    name: 'calendar-version-kept-then-priority-changed',
    category: 'it-laptop',
    title: 'Laptop screen cracked',
    steps: [
      ['start', 'agent'],
      ['apply_calendar', 'admin', { reason: 'holiday added tomorrow (company day off)' }],
      ['set_priority', 'agent', { priority: 'high', reason: 'Cannot work' }],
      ['wait_on_requester', 'agent', { reason: 'Which model?' }],
      ['resume', 'agent'],
      ['resolve', 'agent', { resolution: 'Screen replaced' }],
    ],
  },
];

/**
 * The stories that, between them, take every earlier patch's behaviour (approvals and their
 * timers, SLA notices and due timers, calendar and policy versions, membership signals, effects
 * beside the loop, continue-as-new), recorded once more by code that asks for patch
 * `all-earlier-patches` alone (workflows/ticket-patches.ts), under the name prefixed with it.
 */
const ALL_EARLIER_PATCHES_STORIES = [
  'purchase-two-step-approval',
  'entity-purchase-request-info',
  'entity-laptop-note-mentions',
  'entity-continue-as-new',
  'versions-laptop-policy-and-calendar-applied',
  'membership-joined-then-assigned',
  'due-timers-fire-on-time',
  'notifications-batched',
];

export const STORIES: Story[] = [
  ...RECORDED_STORIES,
  ...ALL_EARLIER_PATCHES_STORIES.map((name) => ({ ...RECORDED_STORIES.find((s) => s.name === name)!, name: `all-earlier-patches-${name}` })),
  // The same stories once more, recorded by code whose one marker is
  // `patches-through-notify-with-projection`: each change's notifications recorded by the
  // projection's local activity (`projectAndNotify`) instead of a `notifyAll` activity.
  ...ALL_EARLIER_PATCHES_STORIES.map((name) => ({ ...RECORDED_STORIES.find((s) => s.name === name)!, name: `notify-with-projection-${name}` })),
];

/** One pass of the email outbox sweep (the Schedule's workflow) is recorded too. */
export const OUTBOX_SWEEP_STORY = 'entity-email-outbox-sweep';
/**
 * And an email delivery (workflows/email-delivery.ts): what `notifyAll` starts for emails Postmark
 * did not take at once, sending through an ordinary activity. Its sibling
 * `email-delivery-local-send.json` was recorded with the code before patch `email-send-activity`
 * and cannot be recorded again.
 */
export const EMAIL_DELIVERY_STORY = 'email-delivery-activity-send';
/** And a team's membership fanned out to its open tickets (workflows/fan-out.ts). */
export const FAN_OUT_STORY = 'fan-out-team-membership';
/** And the hand-over after a person's deactivation (workflows/person-deactivation.ts). */
export const DEACTIVATION_STORY = 'person-deactivation-hand-over';
