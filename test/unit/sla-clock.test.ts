import type { BusinessCalendar } from '../../workflows/domain/business-time';
import {
  collectDue,
  dueAt,
  nextDuePoint,
  onFirstResponse,
  onPolicyChange,
  onReopen,
  onStatus,
  startSla,
  summarise,
  validatePolicy,
  type SlaPolicy,
} from '../../workflows/domain/sla-clock';

const weekdays = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start: '09:00', end: '17:00' }]]));
const berlin: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: weekdays, holidays: [] };
const newYork: BusinessCalendar = { timeZone: 'America/New_York', weeklyHours: weekdays, holidays: [] };
const pause: SlaPolicy['pauseStatuses'] = ['waiting_on_requester', 'waiting_on_vendor'];
// Seed 000's table.
const critical: SlaPolicy = {
  id: 1, version: 1, priority: 'critical', firstResponseMinutes: 15, resolutionMinutes: 120, pauseStatuses: pause,
  ladder: [{ afterMinutes: 15, action: 'notify_role', role: 'department_manager' }, { afterMinutes: 30, action: 'notify_role', role: 'admin' }],
};
const high: SlaPolicy = {
  id: 2, version: 1, priority: 'high', firstResponseMinutes: 60, resolutionMinutes: 480, pauseStatuses: pause,
  ladder: [{ afterMinutes: 60, action: 'notify_role', role: 'department_manager' }, { afterMinutes: 120, action: 'assign_backup' }],
};
const medium: SlaPolicy = { id: 3, version: 1, priority: 'medium', firstResponseMinutes: 240, resolutionMinutes: 1440, pauseStatuses: pause, ladder: [] };
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('SLA clock', () => {
  test('when the ticket is paused Friday 16:00 and resumed Monday 10:00, then the due instant moves by exactly 120 business minutes', () => {
    const unpaused = startSla(berlin, medium, 'in_progress', at('2026-11-20T15:00:00+01:00'));
    expect(iso(dueAt(unpaused, 'first_response'))).toBe(iso(at('2026-11-23T11:00:00+01:00')));

    let paused = onStatus(unpaused, 'waiting_on_requester', at('2026-11-20T16:00:00+01:00'));
    expect(dueAt(paused, 'first_response')).toBeNull();
    paused = onStatus(paused, 'in_progress', at('2026-11-23T10:00:00+01:00'));
    expect(iso(dueAt(paused, 'first_response'))).toBe(iso(at('2026-11-23T13:00:00+01:00')));
    expect(summarise(paused, 'first_response', at('2026-11-23T10:00:00+01:00')).spentMinutes).toBe(60);
  });

  test('when priority goes High→Critical after 30 spent minutes, then the 30 are kept against the new targets', () => {
    const started = startSla(berlin, high, 'assigned', at('2026-11-23T09:00:00+01:00'));
    const bumped = onPolicyChange(started, critical, berlin, 'assigned', at('2026-11-23T09:30:00+01:00'));
    expect(summarise(bumped, 'resolution', at('2026-11-23T09:30:00+01:00'))).toMatchObject({ spentMinutes: 30, targetMinutes: 120, remainingMinutes: 90 });
    expect(iso(dueAt(bumped, 'resolution'))).toBe(iso(at('2026-11-23T11:00:00+01:00')));
    // 30 spent already exceeds Critical's 15-minute first response: breached at the change.
    expect(iso(dueAt(bumped, 'first_response'))).toBe(iso(at('2026-11-23T09:30:00+01:00')));
  });

  test('when transferred to a team in another time zone, then spent time is kept and the rest counts on the new calendar', () => {
    const started = startSla(berlin, high, 'assigned', at('2026-11-23T09:00:00+01:00'));
    const moved = onPolicyChange(started, high, newYork, 'assigned', at('2026-11-23T09:30:00+01:00'));
    // 30 of 60 minutes left; New York opens at 09:00 EST (15:00 in Berlin).
    expect(iso(dueAt(moved, 'first_response'))).toBe(iso(at('2026-11-23T09:30:00-05:00')));
  });

  test('when a resolved ticket is reopened, then the resolution clock resumes rather than restarts', () => {
    let sla = startSla(berlin, high, 'in_progress', at('2026-11-23T09:00:00+01:00'));
    sla = onStatus(sla, 'resolved', at('2026-11-23T11:00:00+01:00'));
    expect(summarise(sla, 'resolution', at('2026-11-23T12:00:00+01:00'))).toMatchObject({ state: 'met', spentMinutes: 120 });
    sla = onReopen(sla, 'in_progress', at('2026-11-24T09:00:00+01:00'));
    expect(iso(dueAt(sla, 'resolution'))).toBe(iso(at('2026-11-24T15:00:00+01:00')));
  });

  test("when nobody responds to a Critical ticket, then seed 000's ladder fires at exactly the right instants, each once", () => {
    let sla = startSla(berlin, critical, 'new', at('2026-11-23T09:00:00+01:00'));
    const timeline: string[] = [];
    for (let i = 0; i < 10; i++) {
      const next = nextDuePoint(sla);
      if (!next) break;
      const { state, fired } = collectDue(sla, next.at);
      sla = state;
      for (const f of fired) timeline.push(`${f.at.toISOString()} ${f.kind === 'escalation' ? `step:${f.step}` : `${f.kind}:${f.clock}`}`);
    }
    expect(timeline).toEqual([
      '2026-11-23T08:15:00.000Z breach:first_response',
      '2026-11-23T08:15:00.000Z step:0',
      '2026-11-23T08:30:00.000Z step:1',
      '2026-11-23T10:00:00.000Z breach:resolution',
    ]);
    expect(collectDue(sla, at('2026-11-30T00:00:00Z')).fired).toEqual([]);
  });

  test('when a ticket is created, then nothing is due at creation', () => {
    const sla = startSla(berlin, critical, 'new', at('2026-11-23T09:00:00+01:00'));
    expect(collectDue(sla, at('2026-11-23T09:00:00+01:00')).fired).toEqual([]);
  });

  test('when a ticket is created on a Saturday, then its clocks start counting on Monday morning', () => {
    const sla = startSla(berlin, high, 'new', at('2026-11-21T11:00:00+01:00'));
    expect(iso(dueAt(sla, 'first_response'))).toBe(iso(at('2026-11-23T10:00:00+01:00')));
  });

  test('when an agent replies first, then the first-response clock stops and its ladder steps never fire', () => {
    let sla = startSla(berlin, high, 'new', at('2026-11-23T09:00:00+01:00'));
    sla = onFirstResponse(sla, at('2026-11-23T09:20:00+01:00'));
    expect(dueAt(sla, 'first_response')).toBeNull();
    expect(summarise(sla, 'first_response', at('2026-11-23T12:00:00+01:00'))).toMatchObject({ state: 'met', spentMinutes: 20 });
    expect(collectDue(sla, at('2026-11-23T16:59:00+01:00')).fired).toEqual([]);
  });

  test('when the first reply is processed just after the due time, before the timer fired, then the breach is still recorded at the due instant', () => {
    let sla = startSla(berlin, high, 'new', at('2026-11-23T09:00:00+01:00'));
    sla = onFirstResponse(sla, at('2026-11-23T10:00:20+01:00'));
    expect(summarise(sla, 'first_response', at('2026-11-23T10:01:00+01:00'))).toMatchObject({
      state: 'breached',
      breachedAt: at('2026-11-23T10:00:00+01:00').toISOString(),
    });
  });

  test('when a policy change lands on a status the new policy pauses, then the clocks pause', () => {
    const pausingVendor = { ...medium, id: 9, pauseStatuses: ['waiting_on_vendor' as const] };
    const noVendorPause = { ...medium, id: 10, pauseStatuses: [] };
    let sla = startSla(berlin, noVendorPause, 'waiting_on_vendor', at('2026-11-23T09:00:00+01:00'));
    expect(dueAt(sla, 'resolution')).not.toBeNull();
    sla = onPolicyChange(sla, pausingVendor, berlin, 'waiting_on_vendor', at('2026-11-23T10:00:00+01:00'));
    expect(dueAt(sla, 'resolution')).toBeNull();
    expect(summarise(sla, 'resolution', at('2026-11-23T12:00:00+01:00')).spentMinutes).toBe(60);
  });

  test('when the ticket waits for approval, then no clock runs', () => {
    const sla = startSla(berlin, high, 'pending_approval', at('2026-11-23T09:00:00+01:00'));
    expect(nextDuePoint(sla)).toBeUndefined();
    expect(iso(dueAt(onStatus(sla, 'new', at('2026-11-23T10:00:00+01:00')), 'first_response'))).toBe(iso(at('2026-11-23T11:00:00+01:00')));
  });

  test('when a policy has non-positive targets, then each problem is named', () => {
    expect(validatePolicy({ firstResponseMinutes: 0, resolutionMinutes: -5, pauseStatuses: [], ladder: [{ afterMinutes: 10, action: 'notify_role' }] }).map((p) => p.field)).toEqual([
      'firstResponseMinutes',
      'resolutionMinutes',
      'ladder.0.role',
    ]);
  });

  describe('warnings', () => {
    const walk = (start: ReturnType<typeof startSla>, until: Date) => {
      let sla = start;
      const timeline: string[] = [];
      for (let next = nextDuePoint(sla); next && next.at <= until; next = nextDuePoint(sla)) {
        const { state, fired } = collectDue(sla, next.at);
        sla = state;
        for (const f of fired) timeline.push(`${f.at.toISOString()} ${f.kind === 'escalation' ? `step:${f.step}` : `${f.kind}:${f.clock}`}`);
      }
      return { sla, timeline };
    };

    test('when a clock passes 80% of its target in business time, then it warns once, before the breach', () => {
      // Medium: 240 min first response → warning after 192 business minutes (12:12), breach at 13:00.
      const { timeline } = walk(startSla(berlin, medium, 'new', at('2026-11-23T09:00:00+01:00'), 80), at('2026-11-23T13:30:00+01:00'));
      expect(timeline).toEqual(['2026-11-23T11:12:00.000Z warning:first_response', '2026-11-23T12:00:00.000Z breach:first_response']);
    });

    test('when the warning falls due in a batch with its breach, then only the breach is reported and the warning never comes later', () => {
      const sla = startSla(berlin, critical, 'new', at('2026-11-23T09:00:00+01:00'), 80);
      const { state, fired } = collectDue(sla, at('2026-11-23T09:20:00+01:00'));
      expect(fired.map((f) => `${f.kind}:${f.clock}`)).toEqual(['breach:first_response', 'escalation:first_response']);
      expect(nextDuePoint(state)?.kind).not.toBe('warning');
      expect(collectDue(state, at('2026-11-23T09:29:00+01:00')).fired).toEqual([]);
    });

    test('when a warned ticket gets a longer target, then it may warn again as the new target nears', () => {
      let { sla } = walk(startSla(berlin, high, 'new', at('2026-11-23T09:00:00+01:00'), 80), at('2026-11-23T09:50:00+01:00'));
      expect(sla.firstResponse.warnedAt).not.toBeNull();
      sla = onPolicyChange(sla, medium, berlin, 'new', at('2026-11-23T09:50:00+01:00'));
      expect(sla.firstResponse.warnedAt).toBeNull();
      expect(nextDuePoint(sla)).toMatchObject({ kind: 'warning', clock: 'first_response', at: at('2026-11-23T12:12:00+01:00') });
    });

    test('when a ticket started without warnings, then its due points are exactly as before', () => {
      const sla = startSla(berlin, medium, 'new', at('2026-11-23T09:00:00+01:00'));
      expect(nextDuePoint(sla)).toMatchObject({ kind: 'breach', clock: 'first_response' });
    });

    test('when the clock is paused, then the warning waits with it', () => {
      let sla = startSla(berlin, medium, 'new', at('2026-11-23T09:00:00+01:00'), 80);
      sla = onStatus(sla, 'waiting_on_requester', at('2026-11-23T10:00:00+01:00'));
      expect(nextDuePoint(sla)).toBeUndefined();
      sla = onStatus(sla, 'in_progress', at('2026-11-24T09:00:00+01:00'));
      expect(nextDuePoint(sla)).toMatchObject({ kind: 'warning', at: at('2026-11-24T11:12:00+01:00') });
    });
  });
});
