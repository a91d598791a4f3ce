import crypto from 'node:crypto';
import type { Config } from '../../lib/config';
import { createSigner } from '../../lib/signing';
import { startHarness, type Harness } from '../support/harness';

const SECRET = 'inbound-test-secret-'.padEnd(48, 'x');
const signer = createSigner(SECRET);
const mail: Config['mail'] = {
  serverToken: 'local-sink-token',
  sinkPort: 0,
  sinkHost: '127.0.0.1',
  from: 'Service Desk <support@ticketing.local>',
  supportAddress: 'support@ticketing.local',
  // The receiving side's authentication service, as a deployment names it in INBOUND_AUTHSERV_IDS.
  inbound: { user: 'postmark', password: 'correct horse battery staple', reopenResolved: true, categoryCode: 'it-hardware', authservIds: ['mx.postmarkapp.com'] },
};
const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 0x90)]);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { mail, appSecret: SECRET } });
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

/** What Postmark's receiving server records for a genuine example.com message: every check passes for the From: domain. */
const AUTHENTICATED = [
  { Name: 'X-Spam-Status', Value: 'No' },
  { Name: 'Received-SPF', Value: 'Pass (sender SPF authorized) identity=mailfrom; client-ip=198.51.100.7; helo=mail.example.com; envelope-from=emma@example.com; receiver=support@ticketing.local' },
  { Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com' },
];

/** A payload shaped like Postmark's inbound webhook JSON. */
function email(overrides: Record<string, unknown> = {}) {
  const hash = (overrides.MailboxHash as string | undefined) ?? '';
  const to = hash ? `support+${hash}@ticketing.local` : 'support@ticketing.local';
  return {
    FromName: 'Emma Employee',
    From: 'Emma@Example.com',
    FromFull: { Email: 'Emma@Example.com', Name: 'Emma Employee', MailboxHash: '' },
    To: to,
    ToFull: [{ Email: to, Name: 'Service Desk', MailboxHash: hash }],
    Cc: '',
    CcFull: [],
    OriginalRecipient: to,
    Subject: 'Docking station dead',
    MessageID: crypto.randomUUID(),
    ReplyTo: '',
    MailboxHash: hash,
    Date: 'Mon, 23 Nov 2026 10:00:00 +0100',
    TextBody: 'My docking station stopped charging the laptop.',
    HtmlBody: '<p>My docking station stopped charging the laptop.</p>',
    StrippedTextReply: '',
    Tag: '',
    Headers: AUTHENTICATED,
    Attachments: [],
    ...overrides,
  };
}

async function deliver(payload: unknown, auth = `${mail.inbound.user}:${mail.inbound.password}`) {
  const response = await fetch(`${h.apiUrl}/inbound/postmark`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
    body: JSON.stringify(payload),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

const ticketCount = () => h.db.models.Ticket.count();
const recorded = async (messageId: string) => (await h.db.models.InboundEmail.findOne({ where: { message_id: messageId } }))?.get({ plain: true }) as Record<string, unknown> | undefined;
const messagesOf = async (number: number) => (await h.request('GET', `/tickets/${number}/messages`, { as: 'ada' })).body.data.map((m: { body: string }) => m.body);

async function emailedTicket() {
  const delivered = await deliver(email({ Subject: `Printer jam ${crypto.randomUUID().slice(0, 8)}` }));
  expect(delivered.status).toBe(200);
  return delivered.body.data.ticketNumber as number;
}

describe('new tickets by email', () => {
  test('when a known employee writes to the support address, then a ticket is raised as them on the email channel, with attachments kept and a disallowed one refused', async () => {
    const payload = email({
      Attachments: [
        { Name: 'photo-of-dock.pdf', Content: PDF.toString('base64'), ContentType: 'application/pdf', ContentLength: PDF.length },
        { Name: 'driver.exe', Content: EXE.toString('base64'), ContentType: 'application/octet-stream', ContentLength: EXE.length },
      ],
    });
    const delivered = await deliver(payload);
    expect(delivered.status).toBe(200);
    expect(delivered.body.data).toMatchObject({
      outcome: 'created',
      ticketNumber: expect.any(Number),
      attachments: [
        { name: 'photo-of-dock.pdf', outcome: 'kept', status: 'clean' },
        { name: 'driver.exe', outcome: 'refused', reason: expect.stringContaining('.exe') },
      ],
    });
    const number = delivered.body.data.ticketNumber;
    const detail = await h.request('GET', `/tickets/${number}`, { as: 'emma' });
    expect(detail.body.data).toMatchObject({ title: 'Docking station dead', description: payload.TextBody, channel: 'email', requesterId: await h.userId('emma') });
    const files = await h.request('GET', `/tickets/${number}/attachments`, { as: 'emma' });
    expect(files.body.data).toEqual([expect.objectContaining({ filename: 'photo-of-dock.pdf', source: 'email', status: 'clean' })]);
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'created', status_code: 200, ticket_number: number, from_address: 'Emma@Example.com' });
  });

  test('when Postmark redelivers the same message, then the first outcome is answered and no second ticket appears', async () => {
    const payload = email({ Subject: 'Redelivered' });
    const first = await deliver(payload);
    const count = await ticketCount();
    const again = await deliver(payload);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.data).toEqual(first.body.data);
    expect(await ticketCount()).toBe(count);
  });

  test('when a delivery died after keeping its attachment and Postmark retries, then the same ticket answers and the file is not stored twice', async () => {
    const payload = email({ Subject: `Scanner ${crypto.randomUUID().slice(0, 8)}`, Attachments: [{ Name: 'scan.pdf', Content: PDF.toString('base64'), ContentType: 'application/pdf', ContentLength: PDF.length }] });
    const first = await deliver(payload);
    expect(first.status).toBe(200);
    // As if the process had died before recording the outcome.
    await h.db.models.InboundEmail.destroy({ where: { message_id: payload.MessageID } });
    const again = await deliver(payload);
    expect(again.status).toBe(200);
    expect(again.body.data.ticketNumber).toBe(first.body.data.ticketNumber);
    expect(again.body.data.attachments).toEqual([expect.objectContaining({ name: 'scan.pdf', outcome: 'kept', attachmentId: first.body.data.attachments[0].attachmentId })]);
    expect(await h.db.models.Attachment.count({ where: { ticket_number: first.body.data.ticketNumber } })).toBe(1);
  });

  test('when the intake category asks for a field an email cannot give, then the message is refused with why and recorded, not lost to retries', async () => {
    const category = (await h.db.models.Category.findOne({ where: { code: 'it-hardware' } }))!;
    const fields = category.get('field_schema');
    await category.update({ field_schema: [{ key: 'asset_tag', label: 'Asset tag', type: 'text', required: true }] });
    try {
      const payload = email({ Subject: `Needs an asset tag ${crypto.randomUUID().slice(0, 8)}` });
      const refused = await deliver(payload);
      expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 403, code: 'INTAKE_REFUSED' });
      expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'intake_refused', status_code: 403, reason: expect.stringContaining('customFields.asset_tag') });
    } finally {
      await category.update({ field_schema: fields });
    }
  });

  test('when the subject is empty, then the ticket gets a fallback title', async () => {
    const delivered = await deliver(email({ Subject: '  ' }));
    expect((await h.request('GET', `/tickets/${delivered.body.data.ticketNumber}`, { as: 'emma' })).body.data.title).toBe('Email from Emma Employee');
  });
});

describe('replies by email', () => {
  test('when the requester replies to the reply address, then the stripped reply is appended as a public message', async () => {
    const number = await emailedTicket();
    const delivered = await deliver(email({ MailboxHash: signer.mailboxHash(number), Subject: 'Re: Printer jam', StrippedTextReply: 'Still jammed today.', TextBody: 'Still jammed today.\n\n> quoted history' }));
    expect(delivered.status).toBe(200);
    expect(delivered.body.data).toMatchObject({ outcome: 'replied', ticketNumber: number });
    expect(await messagesOf(number)).toEqual(['Still jammed today.']);
  });

  test('when the requester replies to a resolved ticket, then it reopens and the reply is appended', async () => {
    const number = await emailedTicket();
    await h.request('POST', `/tickets/${number}/actions/start`, { as: 'ada', body: {} });
    const resolved = await h.request('POST', `/tickets/${number}/actions/resolve`, { as: 'ada', body: { resolution: 'Replaced the fuser' } });
    expect(resolved.body.data.status).toBe('resolved');
    const delivered = await deliver(email({ MailboxHash: signer.mailboxHash(number), StrippedTextReply: 'It jams again.' }));
    expect(delivered.status).toBe(200);
    const detail = await h.request('GET', `/tickets/${number}`, { as: 'emma' });
    expect(['new', 'in_progress']).toContain(detail.body.data.status);
    expect(await messagesOf(number)).toEqual(['It jams again.']);
    const events = await h.request('GET', `/tickets/${number}/events?limit=100`, { as: 'ada' });
    expect(events.body.data.map((e: { type: string }) => e.type)).toContain('reopen');
  });

  test('when a reply reaches a cancelled ticket, then it is refused with the reason and nothing is appended', async () => {
    const number = await emailedTicket();
    await h.request('POST', `/tickets/${number}/actions/cancel`, { as: 'emma', body: { reason: 'Fixed it myself' } });
    const payload = email({ MailboxHash: signer.mailboxHash(number), StrippedTextReply: 'one more thing' });
    const delivered = await deliver(payload);
    expect(delivered.status).toBe(403);
    expect(delivered.body.error).toMatchObject({ code: 'TICKET_CLOSED', message: expect.stringContaining('cancelled') });
    expect(await messagesOf(number)).toEqual([]);
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'ticket_closed', status_code: 403, ticket_number: null });
  });

  test('when the mailbox hash is forged, or names a ticket the sender may not write on, then 403 and nothing changes', async () => {
    const number = await emailedTicket();
    const forged = `t${number}-${'0'.repeat(20)}`;
    const refused = await deliver(email({ MailboxHash: forged, StrippedTextReply: 'let me in' }));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORGED_HASH');
    const stranger = await deliver(email({ MailboxHash: signer.mailboxHash(number), From: 'priya@example.com', FromFull: { Email: 'priya@example.com', Name: 'Priya' }, StrippedTextReply: 'hi' }));
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('NOT_ALLOWED');
    expect(await messagesOf(number)).toEqual([]);
  });
});

describe('replies from staff and from machines', () => {
  test('when an agent answers a notification by email, then it becomes an internal note: the requester never sees it or its quoted text', async () => {
    const number = await emailedTicket();
    const delivered = await deliver(
      email({
        MailboxHash: signer.mailboxHash(number),
        From: 'alex@example.com',
        FromFull: { Email: 'alex@example.com', Name: 'Alex Agent' },
        StrippedTextReply: '',
        TextBody: 'SECRET: checked with HR.\n\n> internal note quoted from the mention email',
      }),
    );
    expect(delivered.status).toBe(200);
    const asStaff = (await h.request('GET', `/tickets/${number}/messages`, { as: 'ada' })).body.data as Array<{ body: string; visibility: string }>;
    expect(asStaff).toEqual([expect.objectContaining({ body: expect.stringContaining('SECRET'), visibility: 'internal' })]);
    const asRequester = await h.request('GET', `/tickets/${number}/messages`, { as: 'emma' });
    expect(JSON.stringify(asRequester.body)).not.toContain('SECRET');
  });

  test('when an agent answers the resolution email, then the note is recorded and the ticket stays resolved: only the requester reopens by email', async () => {
    const number = await emailedTicket();
    await h.request('POST', `/tickets/${number}/actions/start`, { as: 'ada', body: {} });
    expect((await h.request('POST', `/tickets/${number}/actions/resolve`, { as: 'ada', body: { resolution: 'Replaced the fuser' } })).body.data.status).toBe('resolved');
    const delivered = await deliver(
      email({ MailboxHash: signer.mailboxHash(number), From: 'alex@example.com', FromFull: { Email: 'alex@example.com', Name: 'Alex Agent' }, StrippedTextReply: 'Thanks, all good on our side.' }),
    );
    expect(delivered.status).toBe(200);
    expect((await h.request('GET', `/tickets/${number}`, { as: 'emma' })).body.data.status).toBe('resolved');
    expect((await h.request('GET', `/tickets/${number}/messages`, { as: 'ada' })).body.data).toEqual([expect.objectContaining({ body: 'Thanks, all good on our side.', visibility: 'internal' })]);
    const events = await h.request('GET', `/tickets/${number}/events?limit=100`, { as: 'ada' });
    expect(events.body.data.map((e: { type: string }) => e.type)).not.toContain('reopen');
  });

  test('when the workflow refuses the sender (a manager who may read but not write), then 403 is answered and recorded', async () => {
    const number = await emailedTicket();
    const payload = email({ MailboxHash: signer.mailboxHash(number), From: 'dana@example.com', FromFull: { Email: 'dana@example.com', Name: 'Dana Director' }, StrippedTextReply: 'Noted.' });
    const refused = await deliver(payload);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_ALLOWED');
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'not_allowed', status_code: 403 });
    expect(await messagesOf(number)).toEqual([]);
  });

  test('when an out-of-office answers the resolution email, then it is refused and recorded, and the ticket stays resolved', async () => {
    const number = await emailedTicket();
    await h.request('POST', `/tickets/${number}/actions/start`, { as: 'ada', body: {} });
    await h.request('POST', `/tickets/${number}/actions/resolve`, { as: 'ada', body: { resolution: 'Replaced the fuser' } });
    const payload = email({ MailboxHash: signer.mailboxHash(number), Subject: 'Automatic reply: Update', StrippedTextReply: 'I am out of the office.', Headers: [...AUTHENTICATED, { Name: 'Auto-Submitted', Value: 'auto-replied' }] });
    const refused = await deliver(payload);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('AUTO_REPLY');
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'auto_reply', status_code: 403 });
    expect((await h.request('GET', `/tickets/${number}`, { as: 'emma' })).body.data.status).toBe('resolved');
    expect(await messagesOf(number)).toEqual([]);
  });
});

describe('refusals', () => {
  test('when the sender is not an employee, then 403, no ticket, and the refusal is recorded for ops', async () => {
    const count = await ticketCount();
    const payload = email({ From: 'spam@elsewhere.test', FromFull: { Email: 'spam@elsewhere.test', Name: 'Spam' } });
    const refused = await deliver(payload);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'UNKNOWN_SENDER', message: expect.stringContaining('spam@elsewhere.test') });
    expect(await ticketCount()).toBe(count);
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'unknown_sender', status_code: 403 });
  });

  test('when the sender address fails SPF with no passing DKIM, or fails DMARC, then it is refused as unverified: an employee address alone is not proof', async () => {
    const count = await ticketCount();
    for (const headers of [
      [{ Name: 'Received-SPF', Value: 'Fail (protection.outlook.com: domain of example.com does not designate 203.0.113.9 as permitted sender)' }],
      [{ Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; spf=pass; dkim=none; dmarc=fail header.from=example.com' }],
    ]) {
      const payload = email({ Headers: headers });
      const refused = await deliver(payload);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'UNKNOWN_SENDER', message: expect.stringContaining('could not be verified') });
      expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'unknown_sender', status_code: 403 });
    }
    expect(await ticketCount()).toBe(count);
    // SPF failing (a forwarder) but the domain's DKIM signature passing: that is the employee.
    const forwarded = await deliver(email({ Headers: [{ Name: 'Received-SPF', Value: 'SoftFail' }, { Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; dkim=pass header.d=example.com' }] }));
    expect(forwarded.status).toBe(200);
  });

  test('when From: carla@example.com passes SPF and DKIM only for attacker.example, then it is refused as unverified, recorded, and no ticket is raised as the CFO', async () => {
    const count = await ticketCount();
    const payload = email({
      From: 'carla@example.com',
      FromFull: { Email: 'carla@example.com', Name: 'Carla CFO', MailboxHash: '' },
      Subject: 'Urgent wire transfer approval',
      Headers: [
        { Name: 'Received-SPF', Value: 'Pass (sender SPF authorized) identity=mailfrom; client-ip=203.0.113.66; helo=mx.attacker.example; envelope-from=bounce@attacker.example; receiver=support@ticketing.local' },
        { Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; spf=pass smtp.mailfrom=attacker.example; dkim=pass header.d=attacker.example header.s=s1' },
      ],
    });
    const refused = await deliver(payload);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'UNKNOWN_SENDER', message: expect.stringMatching(/carla@example\.com could not be verified.*aligned with example\.com.*DKIM pass for attacker\.example.*SPF pass for attacker\.example/) });
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'unknown_sender', status_code: 403, from_address: 'carla@example.com', reason: expect.stringContaining('attacker.example') });
    expect(await ticketCount()).toBe(count);
    // No authentication results at all is no proof either.
    const bare = await deliver(email({ Headers: [{ Name: 'X-Spam-Status', Value: 'No' }] }));
    expect(bare.status).toBe(403);
    expect(bare.body.error.message).toContain('no authentication results');
    // A sender's own results, under a service nobody trusts, do not outweigh the receiver's SPF fail;
    // nor does a second Received-SPF written below the one the receiver prepended.
    const genuineFail = { Name: 'Received-SPF', Value: 'Fail identity=mailfrom; client-ip=203.0.113.66; envelope-from=bounce@attacker.example; receiver=support@ticketing.local' };
    for (const forged of [
      { Name: 'Authentication-Results', Value: 'mx.attacker.example; dmarc=pass header.from=example.com; dkim=pass header.d=example.com' },
      { Name: 'Received-SPF', Value: 'Pass (sender SPF authorized) identity=mailfrom; envelope-from=carla@example.com; receiver=support@ticketing.local' },
    ]) {
      const spoofed = await deliver(email({ From: 'carla@example.com', FromFull: { Email: 'carla@example.com', Name: 'Carla CFO', MailboxHash: '' }, Headers: [genuineFail, forged] }));
      expect({ forged: forged.Value, status: spoofed.status }).toEqual({ forged: forged.Value, status: 403 });
    }
    // A DMARC pass computed for another From: domain says nothing about this one.
    const otherDmarc = await deliver(email({ Headers: [{ Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; dmarc=pass header.from=attacker.example; dkim=pass header.d=attacker.example' }] }));
    expect(otherDmarc.status).toBe(403);
    expect(await ticketCount()).toBe(count);
  });

  test('when SPF or DKIM passes for a subdomain of the From: domain (relaxed alignment), or DMARC passes, then the message is accepted', async () => {
    const accepted = [
      [{ Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; spf=none; dkim=pass (2048-bit key; unprotected) header.d=mail.example.com header.s=k1' }],
      [{ Name: 'Received-SPF', Value: 'Pass (sender SPF authorized) identity=mailfrom; client-ip=198.51.100.7; envelope-from="bounces@news.example.com"' }],
      [{ Name: 'Authentication-Results', Value: 'mx.postmarkapp.com; spf=fail smtp.mailfrom=forwarder.example; dkim=fail; dmarc=pass (p=reject) header.from=example.com' }],
    ];
    for (const headers of accepted) {
      const delivered = await deliver(email({ Subject: `Aligned ${crypto.randomUUID().slice(0, 8)}`, Headers: headers }));
      expect({ headers, status: delivered.status }).toEqual({ headers, status: 200 });
      expect(delivered.body.data.outcome).toBe('created');
    }
  });

  test('when the payload is malformed, then 400 names the field, nothing is created, and it is recorded', async () => {
    const count = await ticketCount();
    const { FromFull: _dropped, ...payload } = email();
    const refused = await deliver({ ...payload, Attachments: [{ Name: 'x.pdf', Content: '***not base64***' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['FromFull', 'Attachments.0.Content']));
    expect(await ticketCount()).toBe(count);
    expect(await recorded(payload.MessageID)).toMatchObject({ outcome: 'malformed', status_code: 400 });
  });

  test('when the basic auth is wrong or missing, then 401 and nothing is recorded', async () => {
    const payload = email();
    expect((await deliver(payload, 'postmark:wrong')).status).toBe(401);
    const missing = await fetch(`${h.apiUrl}/inbound/postmark`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await recorded(payload.MessageID)).toBeUndefined();
  });
});

describe('inbound log', () => {
  test('when an admin reads the inbound log, then every message is there, newest first; nobody else may read it', async () => {
    const log = await h.request('GET', '/admin/inbound-emails?limit=200', { as: 'ada' });
    expect(log.status).toBe(200);
    const outcomes = new Set(log.body.data.map((r: { outcome: string }) => r.outcome));
    for (const outcome of ['created', 'replied', 'unknown_sender', 'forged_hash', 'malformed', 'ticket_closed']) expect(outcomes).toContain(outcome);
    expect((await h.request('GET', '/admin/inbound-emails', { as: 'lee' })).status).toBe(403);
  });
});
