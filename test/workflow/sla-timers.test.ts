import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { DateTime } from 'luxon';
import {
  approveUpdate,
  replyUpdate,
  requestInfoUpdate,
  reopenUpdate,
  resolveUpdate,
  resumeUpdate,
  setPriorityUpdate,
  startUpdate,
  transferUpdate,
  waitOnRequesterUpdate,
} from '../../workflows/definitions';
import type { ticketWorkflow } from '../../workflows/ticket';
import { startTimeSkipping, type TimeSkippingHarness } from '../support/time-skipping';

let h: TimeSkippingHarness;
const { EventType } = temporal.api.enums.v1;

beforeAll(async () => {
  h = await startTimeSkipping();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

/** A wall-clock time in Berlin on a day of the given week (0 = Monday). */
const at = (week: DateTime, day: number, clock: string) => {
  const [hour, minute] = clock.split(':').map(Number);
  return week.plus({ days: day }).set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
};
// Updates land a few real milliseconds after the skipped-to instant, so compare to the nearest minute.
const toMinute = (ms: number) => new Date(Math.round(ms / 60_000) * 60_000).toISOString().slice(0, 16);
const minute = (iso: string | null | undefined) => (iso ? toMinute(new Date(iso).getTime()) : iso);
const sameMinute = (date: Date) => toMinute(date.getTime());

async function assigneeActor(handle: WorkflowHandle<typeof ticketWorkflow>) {
  const view = await h.view(handle);
  const key = (['alex', 'sam', 'lee', 'nina', 'frank', 'felix', 'harper'] as const)[
    (await Promise.all((['alex', 'sam', 'lee', 'nina', 'frank', 'felix', 'harper'] as const).map((k) => h.userId(k)))).indexOf(view.assigneeId!)
  ]!;
  return h.actor(key);
}

describe('SLA timers on business time (time-skipping server)', () => {
  test('when a ticket arrives Friday 16:50 with a 60-minute first response, then it is due Monday 09:50 and nothing escalates at creation', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 4, '16:50'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    const view = await h.view(handle);
    expect(minute(view.slaSummary!.firstResponse.dueAt)).toBe(sameMinute(at(week, 7, '09:50')));
    const row = await h.db.models.Ticket.findByPk(view.number);
    expect(minute((row!.get('first_response_due') as Date).toISOString())).toBe(sameMinute(at(week, 7, '09:50')));
    expect((await h.events(view.number)).map((e) => e.type)).not.toContain('escalation');
  });

  test('when that Monday is a holiday, then it is due Tuesday 09:50', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 4, '16:50'));
    const holiday = at(week, 7, '12:00').toISOString().slice(0, 10);
    const handle = await h.open({
      category: 'it-laptop',
      priority: 'high',
      adjust: (config) => {
        for (const team of config.teams) {
          if (team.calendar) team.calendar = { ...team.calendar, holidays: [...team.calendar.holidays, { date: holiday, name: 'Company day' }] };
        }
      },
    });
    expect(minute((await h.view(handle)).slaSummary!.firstResponse.dueAt)).toBe(sameMinute(at(week, 8, '09:50')));
  });

  test('when a ticket is created on a Saturday, then its clocks start at the next working instant', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 5, '11:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    expect(minute((await h.view(handle)).slaSummary!.firstResponse.dueAt)).toBe(sameMinute(at(week, 7, '10:00')));
  });

  test('when a High ticket nears and then misses its first response, then the owner is warned at 80% and the owner and team leads hear of the breach', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 0, '10:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    const { number, teamId, assigneeId } = await h.view(handle);
    await h.skipTo(at(week, 0, '11:05'));
    const events = (await h.events(number)).filter((e) => e.type === 'sla_warning' || e.type === 'sla_breached');
    expect(events.map((e) => [e.type, e.data.clock, minute(e.occurredAt)])).toEqual([
      ['sla_warning', 'first_response', sameMinute(at(week, 0, '10:48'))],
      ['sla_breached', 'first_response', sameMinute(at(week, 0, '11:00'))],
    ]);
    const members = await h.db.models.TeamMember.findAll({ where: { team_id: teamId } });
    const leads = members.filter((m) => m.get('membership') === 'lead').map((m) => m.get('user_id') as number);
    const owners = assigneeId !== null ? [assigneeId] : members.map((m) => m.get('user_id') as number);
    const recipients = async (kind: string) =>
      (await h.db.models.Notification.findAll({ where: { ticket_number: number, kind } })).map((n) => n.get('user_id') as number).sort();
    expect(await recipients('sla_warning')).toEqual([...owners].sort());
    expect(await recipients('sla_breached')).toEqual([...new Set([...owners, ...leads])].sort());
  });

  test("when nobody answers a Critical ticket, then seed 000's ladder fires at exactly its instants, each once, and is recorded with results", async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 0, '10:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'critical' });
    const { number } = await h.view(handle);
    await h.skipTo(at(week, 0, '14:00'));
    const events = (await h.events(number)).filter((e) => e.type === 'sla_breached' || e.type === 'escalation');
    expect(events.map((e) => [e.type, e.data.clock ?? e.data.step, minute(e.data.dueAt as string)])).toEqual([
      ['sla_breached', 'first_response', sameMinute(at(week, 0, '10:15'))],
      ['escalation', 0, sameMinute(at(week, 0, '10:15'))],
      ['escalation', 1, sameMinute(at(week, 0, '10:30'))],
      ['sla_breached', 'resolution', sameMinute(at(week, 0, '12:00'))],
    ]);
    for (const e of events) expect(minute(e.occurredAt)).toBe(minute(e.data.dueAt as string));
    expect(events[1]!.data.result).toBe('notified 1 person');
    const dana = await h.userId('dana');
    const ada = await h.userId('ada');
    const notified = await h.db.models.Notification.findAll({ where: { ticket_number: number, kind: 'escalation' } });
    expect(notified.map((n) => n.get('user_id')).sort()).toEqual([dana, ada].sort());
    const description = await handle.describe();
    expect(description.typedSearchAttributes.getAll().find((p) => p.key.name === 'SlaBreached')?.value).toBe(true);
  });

  test('when a High ticket waits two business hours unanswered, then it is handed to the backup lead once', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 1, '09:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    const before = await h.view(handle);
    await h.skipTo(at(week, 1, '12:00'));
    const escalations = (await h.events(before.number)).filter((e) => e.type === 'escalation');
    expect(escalations.map((e) => [e.data.step, e.data.action, minute(e.data.dueAt as string)])).toEqual([
      [0, 'notify_role', sameMinute(at(week, 1, '10:00'))],
      [1, 'assign_backup', sameMinute(at(week, 1, '11:00'))],
    ]);
    const lee = await h.userId('lee');
    const after = await h.view(handle);
    if (before.assigneeId === lee) expect(escalations[1]!.data.result).toBe('no backup available on the team');
    else expect(after.assigneeId).toBe(lee);
  });

  test('when paused Friday 16:00 and resumed Monday 10:00, then the due instant moves by exactly the 120 business minutes of the pause', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 4, '15:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'medium' });
    expect(minute((await h.view(handle)).slaSummary!.firstResponse.dueAt)).toBe(sameMinute(at(week, 7, '11:00')));
    const agent = await assigneeActor(handle);
    await h.update(handle, startUpdate, { actor: agent, input: {} });
    await h.skipTo(at(week, 4, '16:00'));
    await h.update(handle, waitOnRequesterUpdate, { actor: agent, input: { reason: 'Which model?' } });
    expect((await h.view(handle)).slaSummary!.firstResponse.dueAt).toBeNull();
    await h.skipTo(at(week, 7, '10:00'));
    await h.update(handle, resumeUpdate, { actor: agent, input: {} });
    const view = await h.view(handle);
    expect(minute(view.slaSummary!.firstResponse.dueAt)).toBe(sameMinute(at(week, 7, '13:00')));
    expect(view.slaSummary!.firstResponse.spentMinutes).toBeCloseTo(60, 0);
    const reasons = (await h.events(view.number)).filter((e) => e.type === 'sla_recomputed').map((e) => e.data.reason);
    expect(reasons).toEqual(expect.arrayContaining(['status in_progress → waiting_on_requester', 'status waiting_on_requester → in_progress']));
  });

  // The Java test server hangs a ticket whose task cancels a timer firing meanwhile (sdk-java
  // #2606), and a real server pays a cancel and a new timer for every change: so none is cancelled.
  test('when changes wake a ticket before its due point, then its timer is never cancelled, not set again for the same instant, and records nothing once outlived', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 0, '10:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    const { number } = await h.view(handle);
    const agent = await assigneeActor(handle);
    const timers = async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const count = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
      return { started: count(EventType.EVENT_TYPE_TIMER_STARTED), fired: count(EventType.EVENT_TYPE_TIMER_FIRED), cancelled: count(EventType.EVENT_TYPE_TIMER_CANCELED) };
    };
    await h.skipTo(at(week, 0, '10:10'));
    await h.update(handle, replyUpdate, { actor: agent, body: 'Sending a replacement', visibility: 'public' });
    expect((await h.view(handle)).slaSummary!.firstResponse.state).toBe('met');
    const afterResponse = await timers();
    await h.skipTo(at(week, 0, '10:20'));
    await h.update(handle, replyUpdate, { actor: agent, body: 'Ordered from stock', visibility: 'internal' });
    expect((await timers()).started).toBe(afterResponse.started);
    // Past the first response's warning (10:48) and target (11:00): its timer fires into a wait that ignores it.
    await h.skipTo(at(week, 0, '11:05'));
    const final = await timers();
    expect(final.fired).toBeGreaterThan(afterResponse.fired);
    expect(final.cancelled).toBe(0);
    const slaEvents = (await h.events(number)).filter((e) => e.type === 'sla_warning' || e.type === 'sla_breached' || e.type === 'escalation');
    expect(slaEvents).toEqual([]);
  });

  test('when priority goes High → Critical after 30 spent minutes, then the 30 minutes are kept', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 2, '09:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    await h.skipTo(at(week, 2, '09:30'));
    const agent = await assigneeActor(handle);
    await h.update(handle, setPriorityUpdate, { actor: agent, input: { priority: 'critical', reason: 'CEO laptop' } });
    const view = await h.view(handle);
    expect(view.priority).toBe('critical');
    expect(view.slaSummary!.resolution).toMatchObject({ targetMinutes: 120 });
    expect(view.slaSummary!.resolution.spentMinutes).toBeCloseTo(30, 0);
    expect(minute(view.slaSummary!.resolution.dueAt)).toBe(sameMinute(at(week, 2, '11:00')));
    const recomputed = (await h.events(view.number)).filter((e) => e.type === 'sla_recomputed').map((e) => e.data.reason);
    expect(recomputed).toContain('priority high → critical');
  });

  test('when a ticket is transferred to a team in another time zone, then time spent is kept and the rest counts on the new calendar', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 0, '09:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    await h.skipTo(at(week, 0, '09:30'));
    const agent = await assigneeActor(handle);
    const facilities = await h.db.models.Team.findOne({ where: { code: 'facilities-ops' } });
    await h.update(handle, transferUpdate, { actor: agent, input: { teamId: facilities!.get('id') as number, reason: 'Desk hardware' } });
    const view = await h.view(handle);
    expect(view.teamId).toBe(facilities!.get('id'));
    expect(view.slaSummary!.firstResponse.spentMinutes).toBeCloseTo(30, 0);
    // 30 of 60 minutes left; New York opens 09:00 EST, which is 15:00 in Berlin.
    expect(minute(view.slaSummary!.firstResponse.dueAt)).toBe(sameMinute(at(week, 0, '15:30')));
    expect((await h.events(view.number)).find((e) => e.type === 'sla_recomputed' && String(e.data.reason).startsWith('transferred to'))).toBeDefined();
  });

  test('when a resolved ticket is reopened, then the resolution clock resumes with its spent time', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 0, '09:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'high' });
    const agent = await assigneeActor(handle);
    await h.update(handle, startUpdate, { actor: agent, input: {} });
    await h.skipTo(at(week, 0, '11:00'));
    await h.update(handle, resolveUpdate, { actor: agent, input: { resolution: 'Done' } });
    await h.skipTo(at(week, 1, '09:00'));
    await h.update(handle, reopenUpdate, { actor: await h.actor('emma'), input: { reason: 'Not done' } });
    const view = await h.view(handle);
    expect(view.slaSummary!.resolution.spentMinutes).toBeCloseTo(120, 0);
    expect(minute(view.slaSummary!.resolution.dueAt)).toBe(sameMinute(at(week, 1, '15:00')));
  });

  test('when a resolved ticket hears nothing for 3 business days, then it closes itself at the end of the third', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 1, '14:00'));
    const handle = await h.open({ category: 'it-laptop', priority: 'low' });
    const agent = await assigneeActor(handle);
    await h.skipTo(at(week, 1, '15:00'));
    await h.update(handle, resolveUpdate, { actor: agent, input: { resolution: 'Done' } });
    expect(minute((await h.view(handle)).autoCloseAt)).toBe(sameMinute(at(week, 4, '17:00')));
    // Skip explicitly: awaiting the result lets the test server run its clock far ahead.
    await h.skipTo(at(week, 4, '17:05'));
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const result = await h.view(handle);
    expect(result.status).toBe('closed');
    expect(minute(result.closedAt)).toBe(sameMinute(at(week, 4, '17:00')));
    const close = (await h.events(result.number)).find((e) => e.type === 'close');
    expect(close?.data.reason).toMatch(/auto-closed/);
  });

  test('when a ladder bumps priority and pages on-call, then each runs once at its instant and is recorded with its result', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 2, '09:00'));
    const handle = await h.open({
      category: 'it-laptop',
      priority: 'medium',
      adjust: (config) => {
        for (const policy of config.slaPolicies ?? []) {
          if (policy.priority === 'medium') {
            policy.ladder = [
              { afterMinutes: 60, action: 'page_oncall', clock: 'resolution' },
              { afterMinutes: 90, action: 'bump_priority', clock: 'resolution' },
            ];
          }
        }
      },
    });
    const { number } = await h.view(handle);
    await h.skipTo(at(week, 2, '12:00'));
    const escalations = (await h.events(number)).filter((e) => e.type === 'escalation');
    expect(escalations.filter((e) => e.data.action !== 'notify_role').map((e) => [e.data.action, minute(e.data.dueAt as string), e.data.result])).toEqual([
      ['page_oncall', sameMinute(at(week, 2, '10:00')), 'paged on-call: 1 lead(s) notified'],
      ['bump_priority', sameMinute(at(week, 2, '10:30')), 'priority medium → high'],
      // High's ladder hands the ticket to the backup lead at 120 first-response minutes.
      ['assign_backup', sameMinute(at(week, 2, '11:00')), expect.stringMatching(/assigned to backup|no backup available/)],
    ]);
    const view = await h.view(handle);
    expect(view.priority).toBe('high');
    // After the bump the High policy applies, with the 90 minutes already spent.
    expect(view.slaSummary!.resolution.targetMinutes).toBe(480);
    expect(view.slaSummary!.resolution.spentMinutes).toBeGreaterThanOrEqual(90);
    // High's own ladder is judged afresh: its 60-minute notification is already due at the bump.
    expect(escalations.find((e) => e.data.action === 'notify_role')).toMatchObject({ data: { step: 0 } });
    expect(await h.db.models.OncallPage.count({ where: { ticket_number: number } })).toBe(1);
  });

  test('when an approver does not act, then the step reminds after 8 business hours and escalates to their manager after 16', async () => {
    const week = await h.nextCleanWeek();
    // Raised before opening hours, so the step's business time starts at exactly 09:00.
    await h.skipTo(at(week, 0, '08:00'));
    const handle = await h.open({ category: 'hr-leave', priority: 'low', customFields: { start_date: '2027-02-01', end_date: '2027-02-05' } });
    const { number } = await h.view(handle);
    await h.skipTo(at(week, 2, '09:00'));
    const events = (await h.events(number)).filter((e) => e.type.startsWith('approval_'));
    expect(events.map((e) => [e.type, minute(e.occurredAt)])).toEqual([
      ['approval_requested', sameMinute(at(week, 0, '08:00'))],
      ['approval_reminder_sent', sameMinute(at(week, 0, '17:00'))],
      ['approval_escalated', sameMinute(at(week, 1, '17:00'))],
    ]);
    const carla = await h.userId('carla');
    expect(events[2]!.data.addedApprovers).toEqual([carla]);
    const approved = await h.update(handle, approveUpdate, { actor: await h.actor('carla') });
    expect(approved.status).toBe('new');
  });

  test('when information is requested for two business days, then the step reminds and escalates exactly two business days later', async () => {
    const week = await h.nextCleanWeek();
    await h.skipTo(at(week, 0, '08:00'));
    const handle = await h.open({ category: 'hr-leave', priority: 'low', customFields: { start_date: '2027-02-01', end_date: '2027-02-05' } });
    const { number } = await h.view(handle);
    await h.skipTo(at(week, 0, '10:00'));
    await h.update(handle, requestInfoUpdate, { actor: await h.actor('mark'), step: 0, question: 'Who covers for you that week?' });
    // Monday 10:00 to Wednesday 10:00: two business days (16 business hours) with the question open.
    await h.skipTo(at(week, 2, '10:00'));
    expect((await h.events(number)).map((e) => e.type)).not.toContain('approval_reminder_sent');
    await h.update(handle, replyUpdate, { actor: await h.actor('emma'), body: 'Priya covers', visibility: 'public' });
    await h.skipTo(at(week, 4, '09:00'));
    const events = (await h.events(number)).filter((e) => e.type.startsWith('approval_'));
    expect(events.map((e) => [e.type, minute(e.occurredAt)])).toEqual([
      ['approval_requested', sameMinute(at(week, 0, '08:00'))],
      ['approval_info_requested', sameMinute(at(week, 0, '10:00'))],
      ['approval_info_answered', sameMinute(at(week, 2, '10:00'))],
      // Without the pause: Monday 17:00 and Tuesday 17:00, both due the moment the answer came.
      ['approval_reminder_sent', sameMinute(at(week, 2, '17:00'))],
      ['approval_escalated', sameMinute(at(week, 3, '17:00'))],
    ]);
    expect(events[2]!.data.pausedBusinessMinutes).toBe(16 * 60);
  });
});
