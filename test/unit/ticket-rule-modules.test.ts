import { decideSystem } from '../../workflows/domain/status-machine';
import { SYSTEM_ACTOR } from '../../workflows/domain/types';
import { HANDLED_UPDATES_KEPT, HandledUpdates } from '../../workflows/handled-updates';
import { approvalDecision, approvalTimerChanges, infoAnswered, openChain } from '../../workflows/ticket-approval';
import { effectOutcome, escalationFor } from '../../workflows/ticket-escalation';
import type { TicketSnapshot } from '../../workflows/ticket-model';
import { collectSlaDue, slaOnPolicyInputs, slaOnStatus, slaStart } from '../../workflows/ticket-sla';
import { FINANCE, LEAD, MANAGER, agent, approvalConfig, approver, config, openTicket, requester } from './fixtures/ticket';

const MONDAY_0900 = new Date('2026-11-23T08:00:00Z');
const minutesLater = (minutes: number) => new Date(MONDAY_0900.getTime() + minutes * 60_000);

/** A deep-frozen copy of the ticket: a module that tried to write it would throw (modules run in strict mode). */
function frozen(snapshot: TicketSnapshot): TicketSnapshot {
  const freeze = <T>(value: T): T => {
    if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) freeze(inner);
      Object.freeze(value);
    }
    return value;
  };
  return freeze({ state: structuredClone(snapshot.state), config: structuredClone(snapshot.config) });
}

describe('the SLA module decides, it does not write', () => {
  test('when clocks start on a frozen ticket, then the start is returned with its event', () => {
    const ticket = frozen(openTicket(MONDAY_0900));
    const { sla, event } = slaStart(ticket, MONDAY_0900);
    expect(sla).not.toBeNull();
    expect(event).toMatchObject({ type: 'sla_started', data: { policyId: 3 } });
  });

  test('when breach and rungs fall due, then they come back as events and rungs, each exactly once', () => {
    const sla = openTicket(MONDAY_0900).state.sla!;
    const first = collectSlaDue(sla, minutesLater(90));
    expect(first.events.map((e) => e.type)).toEqual(['sla_breached']);
    expect(first.rungs.map((r) => r.rung.action)).toEqual(['assign_backup', 'notify_role', 'bump_priority']);
    expect(collectSlaDue(first.sla, minutesLater(91)).rungs).toEqual([]);
  });

  test('when the status does not change, then there is no clock change; when it does, the reason names both', () => {
    expect(slaOnStatus('new', 'new', MONDAY_0900)).toBeNull();
    expect(slaOnStatus('resolved', 'in_progress', MONDAY_0900, true)!.reason).toBe('reopened (resolved → in_progress)');
  });

  test('when a priority has no policy, then the previous targets stay and the timeline says so', () => {
    const ticket = openTicket(MONDAY_0900);
    const lowered = frozen({ state: { ...ticket.state, priority: 'low' }, config: ticket.config });
    expect(slaOnPolicyInputs(lowered, 'priority high → low', MONDAY_0900)).toMatchObject({ kind: 'not_applicable', event: { type: 'sla_not_applicable' } });
  });
});

describe('the escalation module decides, it does not write', () => {
  test('when each rung of the ladder is due, then it returns the backup, an effect, and the priority bump', () => {
    const live = openTicket(MONDAY_0900);
    const ticket = frozen(live);
    const rungs = collectSlaDue(live.state.sla!, minutesLater(90)).rungs;
    const decisions = rungs.map((rung) => escalationFor(ticket, rung));
    expect(decisions[0]).toMatchObject({ kind: 'assign_backup', assigneeId: LEAD });
    expect(decisions[1]).toMatchObject({ kind: 'effect', effect: { kind: 'notify', escalationStep: 1, input: { id: 'ticket-42:sla:3:step-1' } } });
    expect(decisions[2]).toMatchObject({ kind: 'bump_priority', from: 'high', to: 'critical' });
  });

  test('when the only lead is already the assignee, then the rung is only noted', () => {
    const live = openTicket(MONDAY_0900);
    const ticket = frozen({ state: { ...live.state, assigneeId: LEAD }, config: live.config });
    const rung = collectSlaDue(live.state.sla!, minutesLater(30)).rungs[0]!;
    expect(escalationFor(ticket, rung)).toMatchObject({ kind: 'note', event: { data: { result: 'no backup available on the team' } } });
  });

  test('when a non-escalation effect completes, then there is nothing to record', () => {
    expect(effectOutcome({ kind: 'notify', input: { id: 'x', ticketNumber: 1, kind: 'created', title: '', body: '', recipients: {} } }, 'notified 1 person')).toBeNull();
  });
});

describe('the approval module decides, it does not write', () => {
  const cfg = () => config({ approval: approvalConfig([{ name: 'Manager', approverIds: [MANAGER], remindAfterHours: 1, escalateAfterHours: 2 }, { name: 'Finance', approverIds: [FINANCE] }]) });

  test('when a chain opens on a frozen ticket, then the first step and its notice are returned', () => {
    const change = openChain(frozen(openTicket(MONDAY_0900, { config: config() })), MONDAY_0900);
    expect(change).toBeNull();
    const opened = openChain(frozen({ state: openTicket(MONDAY_0900).state, config: cfg() }), MONDAY_0900)!;
    expect(opened.chain.current).toBe(0);
    expect(opened.notices.map((n) => n.recipients.userIds)).toEqual([[MANAGER]]);
  });

  test('when the last approval lands, then the decision says the chain is approved and the snapshot is untouched', () => {
    const live = openTicket(MONDAY_0900, { config: cfg() });
    live.decideApproval('approve', { actor: approver(MANAGER), step: 0 }, minutesLater(1));
    const decision = approvalDecision(frozen(live), 'approve', { actor: approver(FINANCE), step: 1 }, minutesLater(2))!;
    expect(decision.outcome).toEqual({ kind: 'approved' });
    expect(decision.event).toMatchObject({ type: 'approval_approved', data: { step: 1, stepName: 'Finance' } });
  });

  test('when the step has waited past its reminder and escalation, then both changes come back in order', () => {
    const live = openTicket(MONDAY_0900, { config: cfg() });
    const changes = approvalTimerChanges(frozen(live), minutesLater(180));
    expect(changes.map((c) => c.event.type)).toEqual(['approval_reminder_sent', 'approval_escalated']);
  });

  test("when someone other than the requester writes, or writes internally, then no request for information is answered", () => {
    const live = openTicket(MONDAY_0900, { config: cfg() });
    live.decideApproval('request_info', { actor: approver(MANAGER), step: 0, question: 'Which vendor?' }, minutesLater(1));
    expect(infoAnswered(frozen(live), agent, 'public', minutesLater(5))).toBeNull();
    expect(infoAnswered(frozen(live), requester, 'internal', minutesLater(5))).toBeNull();
    expect(infoAnswered(frozen(live), requester, 'public', minutesLater(5))).toMatchObject({ event: { type: 'approval_info_answered' } });
  });
});

describe('system transitions in the status machine', () => {
  test('when the system asks for a transition its table allows, then it gets the target; anyone else is refused', () => {
    const facts = { status: 'pending_approval' as const, requesterId: 1, teamId: 10, assigneeId: null, teamMemberIds: [] };
    expect(decideSystem(facts, 'approval_granted', SYSTEM_ACTOR)).toEqual({ ok: true, to: 'new' });
    expect(decideSystem(facts, 'approval_granted', requester)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideSystem({ ...facts, status: 'closed' }, 'auto_assign', SYSTEM_ACTOR)).toMatchObject({ ok: false, code: 'ILLEGAL_TRANSITION' });
    expect(decideSystem({ ...facts, status: 'resolved', assigneeId: 5 }, 'requester_replied', SYSTEM_ACTOR)).toEqual({ ok: true, to: 'in_progress' });
  });
});

describe('handled update ids', () => {
  test('when ids are carried to the next run, then they are still seen, bounded in number and age', () => {
    const handled = new HandledUpdates();
    handled.add('reply:1:a', MONDAY_0900);
    const next = new HandledUpdates(handled.carry(minutesLater(1)));
    expect(next.seen('reply:1:a')).toBe(true);
    expect(next.seen('reply:1:b')).toBe(false);
    expect(next.seen(undefined)).toBe(false);
    expect(new HandledUpdates(handled.carry(new Date(MONDAY_0900.getTime() + 8 * 24 * 3_600_000))).seen('reply:1:a')).toBe(false);
    for (let i = 0; i < HANDLED_UPDATES_KEPT + 10; i++) handled.add(`u${i}`, minutesLater(2));
    const carried = handled.carry(minutesLater(3));
    expect(carried).toHaveLength(HANDLED_UPDATES_KEPT);
    expect(carried.at(-1)!.id).toBe(`u${HANDLED_UPDATES_KEPT + 9}`);
  });

  // Digests as the API writes them: 22 base64url characters.
  const FIRST = 'AAAAAAAAAAAAAAAAAAAAAA';
  const SECOND = 'BBBBBBBBBBBBBBBBBBBBBB';

  test('when a client key comes back with another request, then it conflicts; the same request, another key, action or person, or no digest does not', () => {
    const handled = new HandledUpdates([{ id: `reply:1:K#${FIRST}`, at: MONDAY_0900.toISOString() }]);
    expect(handled.conflicts(`reply:1:K#${SECOND}`)).toBe(true);
    expect(handled.conflicts(`reply:1:K#${FIRST}`)).toBe(false);
    expect(handled.conflicts(`reply:1:L#${SECOND}`)).toBe(false);
    expect(handled.conflicts(`reply:12:K#${SECOND}`)).toBe(false);
    expect(handled.conflicts(`start:1:K#${SECOND}`)).toBe(false);
    expect(handled.conflicts('reply:1:K')).toBe(false);
    expect(handled.conflicts(undefined)).toBe(false);
    // A key may hold a '#' itself: only a digest at the end counts.
    const hashed = new HandledUpdates([{ id: `reply:1:a#b#${FIRST}`, at: MONDAY_0900.toISOString() }]);
    expect(hashed.conflicts(`reply:1:a#b#${SECOND}`)).toBe(true);
    expect(hashed.conflicts(`reply:1:a#${SECOND}`)).toBe(false);
  });

  test('when a retry reaches the ticket with a digest after the first went in without one (an API from before digests), then it is seen, not applied again', () => {
    const handled = new HandledUpdates([{ id: 'reply:1:K', at: MONDAY_0900.toISOString() }]);
    expect(handled.seen(`reply:1:K#${FIRST}`)).toBe(true);
    expect(handled.seen(`reply:1:L#${FIRST}`)).toBe(false);
    // A legacy key that itself ends in '#' and a short word is no digest.
    expect(new HandledUpdates([{ id: 'reply:1:x', at: MONDAY_0900.toISOString() }]).seen('reply:1:x#y')).toBe(false);
  });
});
