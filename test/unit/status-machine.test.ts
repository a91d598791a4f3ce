import { allowedActions, decide, type TicketFacts } from '../../workflows/domain/status-machine';
import { SYSTEM_ACTOR, type Actor } from '../../workflows/domain/types';

const requester: Actor = { kind: 'user', userId: 1, name: 'Emma', roles: ['requester'], teamIds: [], departmentId: 4 };
const agent: Actor = { kind: 'user', userId: 5, name: 'Alex', roles: ['requester', 'agent'], teamIds: [10], departmentId: 1 };
const otherTeamAgent: Actor = { kind: 'user', userId: 9, name: 'Nina', roles: ['agent'], teamIds: [11], departmentId: 1 };
const admin: Actor = { kind: 'user', userId: 15, name: 'Ada', roles: ['admin'], teamIds: [], departmentId: 1 };

const ticket = (overrides: Partial<TicketFacts> = {}): TicketFacts => ({
  status: 'new',
  requesterId: 1,
  teamId: 10,
  assigneeId: null,
  teamMemberIds: [5, 6, 7],
  ...overrides,
});

describe('status machine', () => {
  test('when an agent of the owning team assigns a new ticket to a member, then it becomes assigned', () => {
    expect(decide(ticket(), 'assign', agent, { assigneeId: 6 })).toEqual({ ok: true, to: 'assigned' });
  });

  test('when work in progress is reassigned, then its status is kept', () => {
    expect(decide(ticket({ status: 'in_progress', assigneeId: 5 }), 'assign', agent, { assigneeId: 6 })).toEqual({ ok: true, to: 'in_progress' });
  });

  test('when the assignee is not on the owning team, then the field is named', () => {
    expect(decide(ticket(), 'assign', agent, { assigneeId: 99 })).toMatchObject({ ok: false, code: 'VALIDATION_ERROR', field: 'assigneeId' });
  });

  test('when an agent of another team acts, then it is forbidden', () => {
    expect(decide(ticket({ status: 'assigned', assigneeId: 5 }), 'start', otherTeamAgent)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  test('when a requester tries to resolve their own ticket, then it is forbidden', () => {
    expect(decide(ticket({ status: 'in_progress', assigneeId: 5 }), 'resolve', requester, { resolution: 'done' })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  test('when a closed ticket is reopened, then the transition is illegal', () => {
    expect(decide(ticket({ status: 'closed', assigneeId: 5 }), 'reopen', requester, { reason: 'again' })).toMatchObject({
      ok: false,
      code: 'ILLEGAL_TRANSITION',
    });
  });

  test('when a resolved ticket with an assignee is reopened, then work resumes in progress', () => {
    expect(decide(ticket({ status: 'resolved', assigneeId: 5 }), 'reopen', requester, { reason: 'still broken' })).toEqual({ ok: true, to: 'in_progress' });
  });

  test('when resolving without a resolution, then the missing field is named', () => {
    expect(decide(ticket({ status: 'in_progress', assigneeId: 5 }), 'resolve', agent, { resolution: '  ' })).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
      field: 'resolution',
    });
  });

  test('when the system closes a resolved ticket, then it is allowed', () => {
    expect(decide(ticket({ status: 'resolved', assigneeId: 5 }), 'close', SYSTEM_ACTOR)).toEqual({ ok: true, to: 'closed' });
  });

  test('when listing actions for a requester on their new ticket, then only cancel is offered', () => {
    expect(allowedActions(ticket(), requester).map((a) => a.action)).toEqual(['cancel']);
  });

  test('when listing actions for an agent on an assigned ticket, then work actions are offered in lifecycle order', () => {
    expect(allowedActions(ticket({ status: 'assigned', assigneeId: 5 }), agent).map((a) => a.action)).toEqual([
      'assign',
      'start',
      'resolve',
      'cancel',
      'set_priority',
      'transfer',
      'share',
    ]);
  });

  test('when an admin looks at any open ticket, then they may act on it', () => {
    expect(allowedActions(ticket({ teamId: 42 }), admin).map((a) => a.action)).toEqual(['triage', 'assign', 'cancel', 'set_priority', 'transfer', 'share']);
  });
});
