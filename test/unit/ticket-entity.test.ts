import { TicketErrorType } from '../../workflows/definitions';
import { businessMinutesBetween } from '../../workflows/domain/business-time';
import { SYSTEM_ACTOR } from '../../workflows/domain/types';
import { ActionRefused } from '../../workflows/ticket-entity';
import { approvalDeadlines } from '../../workflows/ticket-approval';
import { AGENT, BERLIN, FINANCE, LEAD, MANAGER, REQUESTER, agent, approvalConfig, approver, config, openTicket, pendingTypes, requester, user } from './fixtures/ticket';

// Monday 23 November 2026, 09:00 in Berlin (08:00 UTC): a plain working week.
const MONDAY_0900 = new Date('2026-11-23T08:00:00Z');
const minutesLater = (minutes: number) => new Date(MONDAY_0900.getTime() + minutes * 60_000);

function refusal(fn: () => unknown): ActionRefused {
  try {
    fn();
  } catch (err) {
    if (err instanceof ActionRefused) return err;
    throw err;
  }
  throw new Error('expected the entity to refuse, and it did not');
}

describe('TicketEntity: opening and assignment', () => {
  test('when a ticket opens, then it is created, routed and its clocks start, each recorded as an unprojected event', () => {
    const ticket = openTicket(MONDAY_0900);
    expect(pendingTypes(ticket)).toEqual(['created', 'routed', 'sla_started']);
    expect(ticket.state).toMatchObject({ status: 'new', teamId: 10, version: 3 });
    expect(ticket.effects.map((e) => (e.kind === 'notify' ? e.input.kind : 'page'))).toContain('created');
  });

  test('when the team round-robins, then the entity asks for an assignee and applies the answer as a system transition to assigned', () => {
    const ticket = openTicket(MONDAY_0900);
    const request = ticket.assignmentRequest();
    expect(request).toMatchObject({ teamId: 10, strategy: 'round_robin', candidateIds: [AGENT, LEAD] });
    ticket.autoAssign(AGENT, request!, MONDAY_0900);
    expect(ticket.state).toMatchObject({ status: 'assigned', assigneeId: AGENT });
    const event = ticket.pendingProjection().events.at(-1)!;
    expect(event).toMatchObject({ type: 'auto_assigned', fromStatus: 'new', toStatus: 'assigned', actorName: 'System' });
    expect(ticket.needsAssignment()).toBe(false);
  });

  test('when a transfer landed while the assignment activity ran, then its answer is ignored and the new team is asked next', () => {
    const ticket = openTicket(MONDAY_0900);
    const request = ticket.assignmentRequest()!;
    ticket.apply('transfer', { actor: agent, input: { teamId: 11, reason: 'network issue' } }, MONDAY_0900);
    ticket.autoAssign(AGENT, request, MONDAY_0900);
    expect(ticket.state).toMatchObject({ teamId: 11, assigneeId: null, status: 'new' });
    // The network team queues its work: nothing more to ask, and nothing pending.
    expect(ticket.assignmentRequest()).toBeNull();
    expect(ticket.needsAssignment()).toBe(false);
  });
});

describe('TicketEntity: lifecycle and conversation', () => {
  test('when an action is illegal now, then validate refuses with its type and nothing changes', () => {
    const ticket = openTicket(MONDAY_0900);
    const version = ticket.version;
    expect(refusal(() => ticket.validate('resolve', { actor: agent, input: { resolution: 'done' } })).type).toBe(TicketErrorType.IllegalTransition);
    expect(refusal(() => ticket.validate('triage', { actor: agent, input: {}, expectedVersion: 1 })).type).toBe(TicketErrorType.StaleVersion);
    expect(ticket.version).toBe(version);
  });

  test('when the first public agent reply arrives, then the first-response clock stops and the timeline says why the due time moved', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.reply({ actor: agent, body: 'On it', visibility: 'public' }, minutesLater(10));
    expect(ticket.state.firstResponseAt).toBe(minutesLater(10).toISOString());
    const moved = ticket.pendingProjection().events.find((e) => e.type === 'sla_recomputed')!;
    expect(moved.data).toMatchObject({ reason: 'first response sent' });
  });

  test('when the requester answers a ticket waiting on them, then the ticket goes back to work through the status machine', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.autoAssign(AGENT, ticket.assignmentRequest()!, MONDAY_0900);
    ticket.apply('start', { actor: agent, input: {} }, minutesLater(5));
    ticket.apply('wait_on_requester', { actor: agent, input: { reason: 'Which model?' } }, minutesLater(6));
    ticket.reply({ actor: requester, body: 'The X1', visibility: 'public' }, minutesLater(20));
    expect(ticket.state.status).toBe('in_progress');
    expect(ticket.pendingProjection().events.find((e) => e.type === 'resume')).toMatchObject({ fromStatus: 'waiting_on_requester', toStatus: 'in_progress', actorId: REQUESTER });
  });

  test('when a requester writes an internal note, then it is refused naming the field', () => {
    const ticket = openTicket(MONDAY_0900);
    const err = refusal(() => ticket.validateReply({ actor: requester, body: 'psst', visibility: 'internal' }));
    expect([err.type, err.field]).toEqual([TicketErrorType.Forbidden, 'visibility']);
  });

  test('when custom fields are edited, then before and after are recorded; an edit that changes nothing records nothing', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.editCustomFields({ actor: agent, changes: { model: 'X2', colour: 'black' } }, minutesLater(1));
    const version = ticket.version;
    expect(ticket.pendingProjection().events.at(-1)).toMatchObject({ type: 'custom_fields_changed', data: { before: { model: 'X1', colour: null }, after: { model: 'X2', colour: 'black' } } });
    ticket.editCustomFields({ actor: agent, changes: { model: 'X2' } }, minutesLater(2));
    expect(ticket.version).toBe(version);
  });
});

describe('TicketEntity: timers apply the SLA and escalation decisions', () => {
  test('when the ladder falls due on an unowned High ticket, then the backup lead is assigned, the team lead notified, the breach recorded and the priority raised', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.assignmentPending = false;
    expect(ticket.nextDueAt()).toBeLessThanOrEqual(minutesLater(30).getTime());
    ticket.onTimer(minutesLater(30));
    expect(ticket.state).toMatchObject({ assigneeId: LEAD, status: 'assigned' });
    expect(ticket.pendingProjection().events.find((e) => e.type === 'escalation')).toMatchObject({ type: 'escalation', fromStatus: 'new', toStatus: 'assigned', data: { result: `assigned to backup ${LEAD}` } });

    ticket.onTimer(minutesLater(45));
    const page = ticket.effects.find((e) => e.escalationStep === 1)!;
    expect(page.input).toMatchObject({ kind: 'escalation', recipients: { role: 'team_lead' } });
    ticket.completeEffect(page, 'notified 1 person', minutesLater(46));
    expect(ticket.effects).not.toContain(page);
    expect(ticket.pendingProjection().events.at(-1)).toMatchObject({ type: 'escalation', data: { step: 1, result: 'notified 1 person' } });

    ticket.onTimer(minutesLater(90));
    const types = pendingTypes(ticket);
    expect(types).toContain('sla_breached');
    expect(ticket.state.priority).toBe('critical');
    expect(ticket.pendingProjection().events.filter((e) => e.type === 'sla_recomputed').at(-1)!.data).toMatchObject({ reason: 'priority high → critical by escalation' });
  });

  test('when an admin publishes a newer version of the calendar, then the due instants move with the reason', () => {
    const ticket = openTicket(MONDAY_0900);
    const holiday = { ...BERLIN, version: 2, weeklyHours: { ...BERLIN.weeklyHours, mon: [{ start: '09:00', end: '09:30' }] } };
    ticket.calendarChanged(holiday, 'short Monday', minutesLater(5));
    expect(ticket.pendingProjection().events.at(-1)).toMatchObject({ type: 'sla_recomputed', data: { reason: 'calendar Berlin office v1→v2: short Monday' } });
    const version = ticket.version;
    ticket.calendarChanged(holiday, 'same again', minutesLater(6));
    expect(ticket.version).toBe(version);
  });

  test('when the team membership changes while the ticket is open, then the ladder hands it to the new lead and only current members may be assigned', () => {
    const ticket = openTicket(MONDAY_0900);
    ticket.assignmentPending = false;
    const NEW_LEAD = 8;
    const assign = (assigneeId: number) => () => ticket.validate('assign', { actor: user(LEAD, ['requester', 'agent', 'lead'], [10]), input: { assigneeId } });
    expect(refusal(assign(NEW_LEAD)).field).toBe('assigneeId');

    expect(ticket.teamMembershipChanged({ teamId: 10, version: 5, memberIds: [LEAD, NEW_LEAD], leadIds: [NEW_LEAD] })).toBe(true);
    // A repeated or older version (a retried batch, an overlapping fan-out) changes nothing.
    expect(ticket.teamMembershipChanged({ teamId: 10, version: 4, memberIds: [AGENT], leadIds: [AGENT] })).toBe(false);
    expect(ticket.teamMembershipChanged({ teamId: 10, version: 5, memberIds: [AGENT], leadIds: [AGENT] })).toBe(false);
    // Nothing on the timeline: the ticket itself did not change.
    expect(pendingTypes(ticket)).not.toContain('team_membership_changed');
    expect(() => assign(NEW_LEAD)()).not.toThrow();
    expect(refusal(assign(AGENT)).field).toBe('assigneeId');

    ticket.onTimer(minutesLater(30));
    expect(ticket.state).toMatchObject({ assigneeId: NEW_LEAD, status: 'assigned' });
  });

  test('when a membership change names a team the snapshot already has at that version, then it is ignored', () => {
    const ticket = openTicket(MONDAY_0900, { config: config({ teams: config().teams.map((t) => ({ ...t, version: 7 })) }) });
    expect(ticket.teamMembershipChanged({ teamId: 10, version: 7, memberIds: [], leadIds: [] })).toBe(false);
    expect(ticket.teamMembershipChanged({ teamId: 99, version: 8, memberIds: [], leadIds: [] })).toBe(false);
    expect(ticket.state.teamMemberships).toBeUndefined();
  });

  test('when a resolved ticket reaches its auto-close instant, then the system actor closes it through the status machine', () => {
    const ticket = openTicket(MONDAY_0900, { config: config({ autoCloseAfterBusinessDays: 2 }) });
    ticket.autoAssign(AGENT, ticket.assignmentRequest()!, MONDAY_0900);
    ticket.apply('start', { actor: agent, input: {} }, minutesLater(1));
    ticket.apply('resolve', { actor: agent, input: { resolution: 'fixed' } }, minutesLater(2));
    const closeAt = ticket.nextDueAt()!;
    ticket.onTimer(new Date(closeAt));
    expect(ticket.state.status).toBe('closed');
    expect(ticket.pendingProjection().events.at(-1)).toMatchObject({ type: 'close', actorName: SYSTEM_ACTOR.name, fromStatus: 'resolved', toStatus: 'closed' });
  });
});

describe('TicketEntity: approvals', () => {
  const twoSteps = () => config({ approval: approvalConfig([{ name: 'Manager', approverIds: [MANAGER], remindAfterHours: 8, escalateAfterHours: 16 }, { name: 'Finance', approverIds: [FINANCE] }]) });

  test('when a ticket needs approval, then it waits on its approvers and they are notified', () => {
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    expect(ticket.state.status).toBe('pending_approval');
    expect(ticket.pendingProjection().events.find((e) => e.type === 'approval_requested')).toMatchObject({ fromStatus: 'new', toStatus: 'pending_approval' });
    const notice = ticket.effects.find((e) => e.kind === 'notify' && e.input.kind === 'approval_requested')!;
    expect(notice.kind === 'notify' && notice.input.recipients.userIds).toEqual([MANAGER]);
    expect(ticket.needsAssignment()).toBe(false);
  });

  test('when both steps approve, then the ticket goes to the team as new and assignment is pending', () => {
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    ticket.decideApproval('approve', { actor: approver(MANAGER), step: 0 }, minutesLater(10));
    expect(ticket.effects.some((e) => e.input.id === 'ticket-42:approval:1:approval_requested')).toBe(true);
    ticket.decideApproval('approve', { actor: approver(FINANCE), step: 1 }, minutesLater(20));
    expect(ticket.state.status).toBe('new');
    expect(ticket.needsAssignment()).toBe(true);
    expect(pendingTypes(ticket).slice(-3)).toEqual(['approval_approved', 'approved', 'sla_recomputed']);
  });

  test('when an approver rejects, then the ticket is rejected and closed, recorded with the approver as actor', () => {
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    ticket.decideApproval('reject', { actor: approver(MANAGER), step: 0, reason: 'Over budget' }, minutesLater(10));
    expect(ticket.state).toMatchObject({ status: 'rejected', closedAt: minutesLater(10).toISOString() });
    expect(ticket.pendingProjection().events.at(-1)).toMatchObject({ type: 'rejected', actorId: MANAGER, toStatus: 'rejected' });
  });

  test('when an approver delegates the step to the person who holds it already, then it is refused naming toUserId; handing it back from a delegate is not', () => {
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    const toSelf = refusal(() => ticket.validateApproval('delegate', { actor: approver(MANAGER), step: 0, toUserId: MANAGER }, minutesLater(1)));
    expect([toSelf.type, toSelf.field]).toEqual([TicketErrorType.InvalidInput, 'toUserId']);
    ticket.decideApproval('delegate', { actor: approver(MANAGER), step: 0, toUserId: LEAD }, minutesLater(2));
    expect(ticket.state.approval!.steps[0]!.delegatedTo).toEqual({ [MANAGER]: LEAD });
    const toHolder = refusal(() => ticket.validateApproval('delegate', { actor: approver(LEAD), step: 0, toUserId: LEAD }, minutesLater(3)));
    expect(toHolder.field).toBe('toUserId');
    expect(() => ticket.validateApproval('delegate', { actor: approver(LEAD), step: 0, toUserId: MANAGER }, minutesLater(3))).not.toThrow();
  });

  test('when a decision names another step than the current one, then it is refused naming the step', () => {
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    const err = refusal(() => ticket.validateApproval('reject', { actor: approver(MANAGER), step: 1, reason: 'no' }, minutesLater(1)));
    expect([err.type, err.field]).toEqual([TicketErrorType.IllegalTransition, 'step']);
  });

  test('when the API resolved a live delegation, then the delegate may decide; without it the start-time snapshot stands', () => {
    const delegate = user(99, ['requester']);
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    expect(refusal(() => ticket.validateApproval('approve', { actor: delegate, step: 0 }, minutesLater(1))).type).toBe(TicketErrorType.Forbidden);
    ticket.decideApproval('approve', { actor: delegate, step: 0, actingFor: [MANAGER] }, minutesLater(2));
    expect(ticket.pendingProjection().events.find((e) => e.type === 'approval_approved')!.data).toMatchObject({ step: 0, stepName: 'Manager', onBehalfOf: MANAGER });
  });

  test('when a standing delegation in the snapshot was revoked since, then the live answer (acting for nobody) refuses the old delegate', () => {
    const cfg = twoSteps();
    cfg.approval!.delegations = [{ fromUserId: MANAGER, toUserId: 99, startsOn: '2026-01-01', endsOn: '2026-12-31' }];
    const ticket = openTicket(MONDAY_0900, { config: cfg });
    const delegate = user(99, ['requester']);
    expect(() => ticket.validateApproval('approve', { actor: delegate, step: 0 }, minutesLater(1))).not.toThrow();
    expect(refusal(() => ticket.validateApproval('approve', { actor: delegate, step: 0, actingFor: [] }, minutesLater(1))).type).toBe(TicketErrorType.Forbidden);
  });

  test("when the requester's public reply answers a request for information, then the step resumes and its timers move by the business time it was open", () => {
    const ticket = openTicket(MONDAY_0900, { config: twoSteps() });
    const before = approvalDeadlines(ticket);
    ticket.decideApproval('request_info', { actor: approver(MANAGER), step: 0, question: 'Which vendor?' }, minutesLater(60));
    expect(approvalDeadlines(ticket)).toEqual({ remindAt: null, escalateAt: null });
    // An agent's note does not answer the approver; the requester's public reply does.
    ticket.reply({ actor: requester, body: 'Acme', visibility: 'public' }, minutesLater(180));
    expect(ticket.state.approval!.infoRequest).toBeNull();
    expect(ticket.pendingProjection().events.at(-1)).toMatchObject({ type: 'approval_info_answered', data: { step: 0, pausedBusinessMinutes: 120 } });
    const after = approvalDeadlines(ticket);
    expect(businessMinutesBetween(BERLIN, before.remindAt!, after.remindAt!)).toBe(120);
    expect(businessMinutesBetween(BERLIN, before.escalateAt!, after.escalateAt!)).toBe(120);
  });
});
