import { createSigner } from '../../lib/signing';

const signer = createSigner('x'.repeat(40));
const now = new Date('2026-11-23T10:00:00Z');
const later = new Date('2026-11-30T10:00:00Z');

describe('signed tokens', () => {
  it('opens what it sealed, until it expires', () => {
    const token = signer.seal('approval', { ticket: 7, step: 0 }, later);
    expect(signer.open('approval', token, now)).toEqual({ ok: true, payload: { ticket: 7, step: 0 }, expiresAt: later });
    expect(signer.open('approval', token, later)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token sealed for another purpose or under another secret', () => {
    const token = signer.seal('approval', { ticket: 7 }, later);
    expect(signer.open('unsubscribe', token, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(createSigner('y'.repeat(40)).open('approval', token, now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses tampered and malformed tokens', () => {
    const token = signer.seal('approval', { ticket: 7 }, later);
    const [body, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ p: { ticket: 8 }, e: later.getTime() })).toString('base64url');
    expect(signer.open('approval', `${forged}.${signature}`, now)).toEqual({ ok: false, reason: 'bad_signature' });
    for (const bad of ['', 'abc', `${body}.`, `${body}.${signature}.x`, `${body}!.${signature}`]) {
      expect(signer.open('approval', bad, now)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('names a ticket in a reply address and recognises only its own hashes, in any case', () => {
    const hash = signer.mailboxHash(1234);
    expect(hash).toMatch(/^t1234-[0-9a-f]{20}$/);
    expect(signer.ticketFromMailboxHash(hash)).toBe(1234);
    expect(signer.ticketFromMailboxHash(hash.toUpperCase())).toBe(1234);
    expect(signer.ticketFromMailboxHash(hash.replace('t1234', 't1235'))).toBeNull();
    expect(signer.ticketFromMailboxHash('t1234')).toBeNull();
    expect(signer.ticketFromMailboxHash('')).toBeNull();
  });

  it('will not sign with a short secret', () => {
    expect(() => createSigner('short')).toThrow(/32 characters/);
  });
});
