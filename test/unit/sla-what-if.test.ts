import { applyDraft, compliance, median, WhatIfTally, type BreachChange, type SlaDraft } from '../../lib/sla-what-if/compare';
import { replayTicket, type TicketReplay } from '../../lib/sla-what-if/replay';
import { berlin, CONFIG, NOW, TICKETS } from './fixtures/what-if-tickets';

function run(draft: SlaDraft, now = NOW) {
  const config = applyDraft(CONFIG, draft);
  const tally = new WhatIfTally();
  const changes: BreachChange[] = [];
  for (const ticket of TICKETS) changes.push(...tally.add(replayTicket(ticket, CONFIG, now), replayTicket(ticket, config, now)));
  return { summary: tally.summary(), changes: changes.map((c) => `#${c.number} ${c.clock} ${c.change}`).sort() };
}

const byNumber = (n: number, config = CONFIG, now = NOW): TicketReplay => replayTicket(TICKETS.find((t) => t.number === n)!, config, now);
const medium = CONFIG.slaPolicies!.find((p) => p.priority === 'medium')!;

describe('SLA what-if replay', () => {
  test('when the recorded tickets replay on today\'s configuration, then each clock ends as the fixture says', () => {
    const outcomes = TICKETS.map((t) => {
      const r = replayTicket(t, CONFIG, NOW);
      return `#${r.number} ${r.firstResponse?.outcome}/${r.resolution?.outcome}`;
    });
    expect(outcomes).toEqual([
      '#1 met/met',
      '#2 breached/met',
      '#3 met/breached',
      '#4 met/breached',
      '#5 met/met',
      '#6 met/met',
      '#7 met/met',
      '#8 breached/met',
      '#9 breached/met',
      '#10 met/breached',
      '#11 met/open',
      '#12 met/met',
    ]);
  });

  test('when a ticket is replayed, then its due instants are the business-time ones (holiday skipped, pauses kept)', () => {
    // Mon 09:00 + 24 business hours = Wed 17:00 Berlin.
    expect(byNumber(3).resolution).toMatchObject({ dueAt: '2026-11-04T16:00:00.000Z', breachedAt: '2026-11-04T16:00:00.000Z', minutesToDue: 2 * 1440 + 480 });
    // Thu 09:00 + 24 h over the Friday holiday and the weekend: Tue 10 Nov 09:00 + 8 h = Tue 17:00... minus Thu 8 h, Mon 8 h: Tue 17:00.
    expect(byNumber(5).resolution?.dueAt).toBe('2026-11-10T16:00:00.000Z');
    // Two days waiting on the requester push the due instant by exactly the business time waited (Mon 10:00 → Wed 10:00 = 16 h): Fri holiday, so Tue 10 Nov.
    expect(byNumber(6).resolution?.dueAt).toBe('2026-11-09T16:00:00.000Z');
    // Pending approval counts nothing: the clocks start on Tuesday's approval.
    expect(byNumber(12).firstResponse?.dueAt).toBe('2026-11-03T12:00:00.000Z');
  });

  test('when "now" is earlier, then later events are ignored and only due points before it have fired', () => {
    const early = new Date('2026-11-04T12:00:00Z');
    expect(byNumber(3, CONFIG, early).resolution?.outcome).toBe('open');
    expect(byNumber(3, CONFIG, new Date('2026-11-04T16:00:00Z')).resolution?.outcome).toBe('breached');
    expect(byNumber(11, CONFIG, new Date('2026-11-24T12:00:00Z')).resolution?.outcome).toBe('breached');
  });

  test('when the ladder has rungs, then exactly the rungs whose offsets passed on a running clock fire, priority bumps re-target', () => {
    expect(byNumber(8).escalations).toEqual([{ policyId: 1, step: 0, action: 'notify_role', at: '2026-11-02T08:15:00.000Z' }]);
    // Low → high at 09:30 keeps the 30 minutes spent; high's first rung (60) fires at 10:00, the backup rung (120) never.
    expect(byNumber(9).escalations).toEqual([{ policyId: 2, step: 0, action: 'notify_role', at: '2026-11-02T09:00:00.000Z' }]);
    expect(byNumber(9).firstResponse).toMatchObject({ outcome: 'breached', breachedAt: '2026-11-02T09:00:00.000Z', targetMinutes: 60 });
  });

  test('when a ladder draft bumps priority at 10 minutes, then the bump fires and the ticket is measured on the higher policy from then', () => {
    const config = applyDraft(CONFIG, { kind: 'ladder', policyId: medium.id, ladder: [{ afterMinutes: 10, action: 'bump_priority' }] });
    const replay = byNumber(1, config);
    expect(replay.escalations).toEqual([{ policyId: 3, step: 0, action: 'bump_priority', at: '2026-11-02T08:10:00.000Z' }]);
    expect(replay.priority).toBe('high');
    // High's 60-minute first response after 30 minutes: met; its resolution of 8 h by Tue 10:00 (9 h): breached.
    expect(replay.firstResponse?.outcome).toBe('met');
    expect(replay.resolution?.outcome).toBe('breached');
  });

  test('when a holiday is added on Wednesday 4 November, then exactly #3 leaves breach and nobody enters it', () => {
    const draft: SlaDraft = { kind: 'calendar', calendarId: berlin.id, calendar: { ...berlin, holidays: [...berlin.holidays, { date: '2026-11-04', name: 'Strike day' }] } };
    const { summary, changes } = run(draft);
    expect(changes).toEqual(['#3 resolution lost']);
    expect(summary).toMatchObject({ breachesGained: 0, breachesLost: 1 });
    expect(summary.draft.resolution).toMatchObject({ met: 9, breached: 2, open: 1 });
  });

  test('when the Friday holiday is removed, then exactly #5 enters breach', () => {
    const { changes } = run({ kind: 'calendar', calendarId: berlin.id, calendar: { ...berlin, holidays: [] } });
    expect(changes).toEqual(['#5 resolution gained']);
  });

  test('when the medium first-response target drops from 240 to 60 minutes, then exactly #4 (180 minutes) breaches', () => {
    const { summary, changes } = run({ kind: 'policy', policyId: medium.id, policy: { ...medium, firstResponseMinutes: 60 } });
    expect(changes).toEqual(['#4 first_response gained']);
    expect(summary.today.firstResponse).toMatchObject({ met: 9, breached: 3, compliance: 75 });
    expect(summary.draft.firstResponse).toMatchObject({ met: 8, breached: 4, compliance: 66.7 });
    expect(summary.medianMinutesToDueChange.first_response).toBeLessThan(0);
  });

  test('when waiting on the requester no longer pauses, then exactly #6 (the one that waited on its requester) breaches; #7 waited on a vendor and stays met', () => {
    const { changes } = run({ kind: 'policy', policyId: medium.id, policy: { ...medium, pauseStatuses: ['waiting_on_vendor'] } });
    expect(changes).toEqual(['#6 resolution gained']);
  });

  test('when the draft is today\'s configuration, then nothing changes and both columns agree', () => {
    const { summary, changes } = run({ kind: 'policy', policyId: medium.id, policy: medium });
    expect(changes).toEqual([]);
    expect(summary.draft).toEqual(summary.today);
    expect(summary.today).toMatchObject({
      tickets: 12,
      escalations: 3,
      escalationsByAction: { notify_role: 3 },
      resolution: { met: 8, breached: 3, open: 1, compliance: 72.7 },
    });
  });

  test('when a draft names a policy that does not exist, then it is refused naming policyId', () => {
    expect(() => applyDraft(CONFIG, { kind: 'ladder', policyId: 99, ladder: [] })).toThrow(expect.objectContaining({ field: 'policyId' }));
  });

  test('when figures are summarised, then compliance is the reports\' met-of-decided and the median the middle value', () => {
    expect(compliance(8, 3)).toBe(72.7);
    expect(compliance(0, 0)).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
