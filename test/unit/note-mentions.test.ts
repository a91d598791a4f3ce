import type { TicketEventRecord, TicketState } from '../../workflows/definitions';
import { noteMentionNotifications } from '../../workflows/ticket-notifications';

const state = { number: 42, title: 'Overtime missing', requesterId: 7 } as TicketState;
const note = (mentions: unknown[], type = 'internal_note'): TicketEventRecord => ({
  seq: 5,
  type,
  actorId: 3,
  actorName: 'Harper',
  fromStatus: null,
  toStatus: null,
  data: { body: 'check the rules', mentions },
  occurredAt: '2026-11-23T10:00:00.000Z',
  visibility: 'internal',
});

describe('mentions in internal notes', () => {
  test('when a note mentions colleagues, then they alone are notified, with a stable id', () => {
    expect(noteMentionNotifications(note([4, 5]), state)).toEqual([
      expect.objectContaining({ id: 'ticket-42:event-5:note-mentions', kind: 'mention', recipients: { userIds: [4, 5] }, actorId: 3 }),
    ]);
  });

  test('when a note names the requester or its own author, then neither is notified', () => {
    expect(noteMentionNotifications(note([7, 3]), state)).toEqual([]);
    expect(noteMentionNotifications(note([7, 4]), state)[0]!.recipients).toEqual({ userIds: [4] });
  });

  test('when the event is not an internal note or the mentions are not ids, then nothing is sent', () => {
    expect(noteMentionNotifications(note([4], 'public_reply'), state)).toEqual([]);
    expect(noteMentionNotifications(note(['4', 4.5, null]), state)).toEqual([]);
  });
});
