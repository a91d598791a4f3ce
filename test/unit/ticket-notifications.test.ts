import type { TicketEventRecord, TicketState } from '../../workflows/definitions';
import { notificationsFor } from '../../workflows/ticket-notifications';

const state = (overrides: Partial<TicketState> = {}): TicketState => ({
  number: 7,
  title: 'Laptop',
  description: 'd',
  status: 'assigned',
  priority: 'high',
  channel: 'portal',
  categoryId: 1,
  departmentId: 1,
  teamId: 10,
  assigneeId: 5,
  requesterId: 1,
  customFields: {},
  routing: null,
  version: 3,
  createdAt: '2026-11-23T09:00:00Z',
  updatedAt: '2026-11-23T09:00:00Z',
  resolvedAt: null,
  closedAt: null,
  ...overrides,
});
const event = (type: string, actorId: number | null, data: Record<string, unknown> = {}): TicketEventRecord => ({
  seq: 4,
  type,
  actorId,
  actorName: 'x',
  fromStatus: null,
  toStatus: null,
  data,
  occurredAt: '2026-11-23T09:00:00Z',
  visibility: 'public',
});
const summary = (notes: ReturnType<typeof notificationsFor>) => notes.map((n) => [n.kind, n.recipients.userIds ?? n.recipients.role, n.id]);

describe('who hears about a change', () => {
  test('when a ticket is created, then the requester gets a receipt with a stable id', () => {
    expect(summary(notificationsFor(event('created', 1), state(), { needsApproval: false }))).toEqual([['created', [1], 'ticket-7:event-4:receipt']]);
  });

  test('when a ticket is routed, then the team hears of it only if it needs no approval first', () => {
    expect(summary(notificationsFor(event('routed', null), state(), { needsApproval: false }))).toEqual([['new_ticket', 'team_member', 'ticket-7:event-4:team']]);
    expect(notificationsFor(event('routed', null), state(), { needsApproval: true })).toEqual([]);
    expect(summary(notificationsFor(event('approved', null), state(), { needsApproval: true })).map(([kind]) => kind)).toEqual(['new_ticket', 'status_changed']);
  });

  test('when someone assigns a ticket to a colleague, then the colleague is told; assigning oneself tells nobody', () => {
    expect(summary(notificationsFor(event('assign', 7), state(), { needsApproval: false }))).toEqual([['assigned', [5], 'ticket-7:event-4:assignee']]);
    expect(notificationsFor(event('assign', 5), state(), { needsApproval: false })).toEqual([]);
  });

  test('when the agent replies the requester hears, and when the requester replies the assignee hears', () => {
    expect(summary(notificationsFor(event('public_reply', 5, { body: 'hi' }), state(), { needsApproval: false }))[0]).toEqual(['public_reply', [1], 'ticket-7:event-4:reply']);
    expect(summary(notificationsFor(event('public_reply', 1, { body: 'thanks' }), state(), { needsApproval: false }))[0]).toEqual(['public_reply', [5], 'ticket-7:event-4:reply']);
  });

  test('when the requester cancels their own ticket, then they are not told about it', () => {
    expect(notificationsFor(event('cancel', 1), state(), { needsApproval: false })).toEqual([]);
    expect(summary(notificationsFor(event('resolve', 5), state(), { needsApproval: false }))).toEqual([['status_changed', [1], 'ticket-7:event-4:requester']]);
  });

  test('when people are mentioned, then each is told except the author', () => {
    const notes = notificationsFor(event('public_reply', 5, { body: '@Lee please look', mentions: [7, 5] }), state(), { needsApproval: false });
    expect(notes.find((n) => n.kind === 'mention')?.recipients.userIds).toEqual([7]);
  });
});
