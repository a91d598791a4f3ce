import { businessMillisBetween } from '../../workflows/domain/business-time';
import { clockSpentMs } from '../../workflows/domain/sla-clock';
import type { TicketStatus } from '../../workflows/domain/types';
import { slaExplanation } from '../../workflows/ticket-sla';
import { AGENT, BERLIN, CRITICAL_POLICY, HIGH_POLICY, agent, config, openTicket as openWith, requester } from './fixtures/ticket';

// No ladders: escalations would add steps of their own and are tested elsewhere.
const openTicket = (now: Date) => openWith(now, { config: config({ slaPolicies: [{ ...HIGH_POLICY, ladder: [] }, CRITICAL_POLICY] }) });

// Monday 23 November 2026, 09:00 in Berlin (08:00 UTC).
const MONDAY_0900 = new Date('2026-11-23T08:00:00Z');
const at = (minutes: number) => new Date(MONDAY_0900.getTime() + minutes * 60_000);

/** A small deterministic generator, so a failing walk can be replayed from its seed. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const COUNTING: readonly TicketStatus[] = ['new', 'triaged', 'assigned', 'in_progress'];

describe('deadline explanations', () => {
  test('when a ticket waits on the requester and changes priority, then each step says what was counted, spent and left, and the steps sum to the time spent', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.autoAssign(AGENT, ticket.assignmentRequest()!, MONDAY_0900);
    ticket.apply('start', { actor: agent, input: {} }, at(10));
    ticket.apply('wait_on_requester', { actor: agent, input: { reason: 'Which model?' } }, at(30));
    ticket.reply({ actor: requester, body: 'The X1', visibility: 'public' }, at(188));
    ticket.apply('set_priority', { actor: agent, input: { priority: 'critical', reason: 'CEO laptop' } }, at(200));

    const explanation = slaExplanation(ticket, at(230))!;
    const reasons = explanation.steps.map((s) => s.reason);
    expect(reasons).toEqual(['clocks started', 'status in_progress → waiting_on_requester', 'status waiting_on_requester → in_progress', 'priority high → critical']);
    const [started, paused, resumed, critical] = explanation.steps;
    expect(started!.text).toContain(`with policy #${HIGH_POLICY.id} (high) v${HIGH_POLICY.version} and calendar ${BERLIN.name} v${BERLIN.version}`);
    expect(started!.resolution.countedMinutes).toBe(30);
    // Paused 09:30–12:08 Berlin: nothing counted.
    expect(paused!.resolution).toMatchObject({ countedMinutes: 0, spentMinutes: 30, state: 'paused' });
    expect(paused!.text).toMatch(/^2026-11-23 09:30–12:08 status in_progress → waiting_on_requester/);
    expect(resumed!.resolution).toMatchObject({ spentMinutes: 30, countedMinutes: 12 });
    expect(critical!.resolution).toMatchObject({ spentMinutes: 42, remainingMinutes: CRITICAL_POLICY.resolutionMinutes - 42, countedMinutes: 30 });
    expect(explanation.resolution.spentMinutes).toBe(72);
    const sum = explanation.steps.reduce((total, s) => total + s.resolution.countedMs, 0);
    expect(sum).toBe(explanation.resolution.spentMs);
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])('when a ticket takes a random walk of pauses, resumes and priority changes (seed %i), then every clock\'s steps sum to the business minutes it actually counted', (seed) => {
    const next = random(seed);
    const ticket = openTicket(MONDAY_0900);
    ticket.autoAssign(AGENT, ticket.assignmentRequest()!, MONDAY_0900);
    // An independent account: the business time of every stretch spent in a counting status.
    let independentMs = 0;
    let countingSince: Date | null = MONDAY_0900;
    let minute = 0;
    for (let i = 0; i < 12; i++) {
      minute += 1 + Math.floor(next() * 600);
      const now = at(minute);
      const status = ticket.state.status;
      const roll = next();
      if (status === 'waiting_on_requester') {
        ticket.apply('resume', { actor: agent, input: {} }, now);
      } else if (roll < 0.5) {
        if (status === 'assigned') ticket.apply('start', { actor: agent, input: {} }, now);
        ticket.apply('wait_on_requester', { actor: agent, input: { reason: 'question' } }, now);
      } else {
        const priority = ticket.state.priority === 'high' ? 'critical' : 'high';
        ticket.apply('set_priority', { actor: agent, input: { priority, reason: 'walk' } }, now);
      }
      const counting = COUNTING.includes(ticket.state.status);
      if (countingSince && !counting) {
        independentMs += businessMillisBetween(BERLIN, countingSince, now);
        countingSince = null;
      } else if (!countingSince && counting) countingSince = now;
    }
    const end = at(minute + 45);
    if (countingSince) independentMs += businessMillisBetween(BERLIN, countingSince, end);

    const explanation = slaExplanation(ticket, end)!;
    const sum = explanation.steps.reduce((total, s) => total + s.resolution.countedMs, 0);
    expect(sum).toBe(independentMs);
    expect(explanation.resolution.spentMs).toBe(independentMs);
    expect(clockSpentMs(ticket.state.sla!, 'resolution', end)).toBe(independentMs);
  });
});

describe('applying a published policy version', () => {
  test('when a newer version of the ticket\'s policy is applied, then the targets change keeping the time spent and the ticket records why, with the versions', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.autoAssign(AGENT, ticket.assignmentRequest()!, MONDAY_0900);
    const before = ticket.state.sla!;
    const v2 = { ...HIGH_POLICY, ladder: [], version: HIGH_POLICY.version + 1, resolutionMinutes: HIGH_POLICY.resolutionMinutes / 2 };
    ticket.policyPublished(v2, 'resolution halved', at(60));
    const event = ticket.pendingProjection().events.at(-1)!;
    expect(event.type).toBe('sla_recomputed');
    expect(event.data.reason).toBe(`policy #${HIGH_POLICY.id} (high) v${HIGH_POLICY.version}→v${v2.version}: resolution halved`);
    expect(ticket.state.sla!.policy.version).toBe(v2.version);
    expect(ticket.state.sla!.resolution.targetMinutes).toBe(v2.resolutionMinutes);
    expect(clockSpentMs(ticket.state.sla!, 'resolution', at(60))).toBe(clockSpentMs(before, 'resolution', at(60)));
    // A later priority change back onto this policy uses the applied version, not the start-time one.
    expect(ticket.config.slaPolicies!.find((p) => p.id === HIGH_POLICY.id)!.version).toBe(v2.version);
  });

  test('when the version applied is not newer, or is another policy, then nothing is recorded', () => {
    const ticket = openTicket(MONDAY_0900);
    const version = ticket.version;
    ticket.policyPublished({ ...HIGH_POLICY }, 'same version', at(5));
    ticket.policyPublished({ ...CRITICAL_POLICY, version: 99 }, 'other policy', at(5));
    expect(ticket.version).toBe(version);
  });
});
