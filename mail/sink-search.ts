import type { SinkMessage } from './mailbox-pages';

/** What Postmark's outbound message search answers: the page asked for, newest first, and how many matched in all. */
export interface OutboundSearchAnswer {
  TotalCount: number;
  Messages: Array<Record<string, unknown>>;
}

/**
 * Postmark's outbound message search (`GET /messages/outbound`) over the sink's mailbox:
 * count and offset required (count at most 500, count + offset at most 10,000), newest
 * first, filtered by recipient, tag and `metadata_<key>` values. A refused query comes back
 * as `{ refused }`, the message Postmark gives with its 422.
 */
export function searchOutbound(mailbox: readonly SinkMessage[], query: Record<string, unknown>): OutboundSearchAnswer | { refused: string } {
  const count = Number(query.count);
  const offset = Number(query.offset);
  if (!Number.isInteger(count) || count < 1 || count > 500 || !Number.isInteger(offset) || offset < 0 || count + offset > 10_000) {
    return { refused: 'The count and offset query parameters are required; count at most 500, count + offset at most 10,000.' };
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const recipient = text(query.recipient)?.toLowerCase();
  const tag = text(query.tag);
  const metadata = Object.entries(query)
    .filter(([k]) => k.startsWith('metadata_'))
    .map(([k, v]) => [k.slice('metadata_'.length), String(v)] as const);
  const found = [...mailbox]
    .reverse()
    .filter((m) => (!recipient || m.recipients.includes(recipient)) && (!tag || m.tag === tag) && metadata.every(([k, v]) => m.metadata[k] === v));
  return {
    TotalCount: found.length,
    Messages: found.slice(offset, offset + count).map((m) => ({
      MessageID: m.id,
      MessageStream: m.messageStream,
      Tag: m.tag ?? '',
      To: m.recipients.map((email) => ({ Email: email, Name: null })),
      Cc: [],
      Bcc: [],
      Recipients: m.recipients,
      ReceivedAt: m.receivedAt,
      From: m.from,
      Subject: m.subject,
      Attachments: [],
      Status: 'Sent',
      TrackOpens: false,
      TrackLinks: 'None',
      Metadata: m.metadata,
      Sandboxed: false,
    })),
  };
}
