import crypto from 'node:crypto';

/**
 * HMAC-signed tokens for what leaves the system in email and must come back unforged:
 * one-click approval links (sealed payload with an expiry) and reply addresses
 * (`support+<mailbox hash>@…`, which name a ticket and never expire). Each purpose
 * signs under its own derived key, so a token minted for one can never pass as another.
 */
export type OpenFailure = 'malformed' | 'bad_signature' | 'expired';

export interface Signer {
  /** A token carrying `payload` until `expiresAt`; its signature covers both. */
  seal(purpose: string, payload: Record<string, unknown>, expiresAt: Date): string;
  open<T extends Record<string, unknown>>(purpose: string, token: string, now: Date): { ok: true; payload: T; expiresAt: Date } | { ok: false; reason: OpenFailure };
  /** The plus-address part for a ticket's replies: lowercase, since mail systems may fold case. */
  mailboxHash(ticketNumber: number): string;
  ticketFromMailboxHash(hash: string): number | null;
}

const MAILBOX_HASH = /^t(\d{1,10})-([0-9a-f]{20})$/;

export function createSigner(secret: string): Signer {
  if (secret.length < 32) throw new Error('The signing secret must be at least 32 characters');
  const keyFor = (purpose: string) => crypto.createHmac('sha256', secret).update(`purpose:${purpose}`).digest();
  const mac = (purpose: string, data: string) => crypto.createHmac('sha256', keyFor(purpose)).update(data).digest();
  const equal = (a: Buffer, b: Buffer) => a.length === b.length && crypto.timingSafeEqual(a, b);

  return {
    seal(purpose, payload, expiresAt) {
      const body = Buffer.from(JSON.stringify({ p: payload, e: expiresAt.getTime() })).toString('base64url');
      return `${body}.${mac(purpose, body).toString('base64url')}`;
    },
    open(purpose, token, now) {
      const [body, signature, extra] = token.split('.');
      if (!body || !signature || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(body + signature)) return { ok: false, reason: 'malformed' };
      if (!equal(Buffer.from(signature, 'base64url'), mac(purpose, body))) return { ok: false, reason: 'bad_signature' };
      let decoded: { p?: unknown; e?: unknown };
      try {
        decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      if (typeof decoded.e !== 'number' || typeof decoded.p !== 'object' || decoded.p === null) return { ok: false, reason: 'malformed' };
      if (decoded.e <= now.getTime()) return { ok: false, reason: 'expired' };
      return { ok: true, payload: decoded.p as never, expiresAt: new Date(decoded.e) };
    },
    mailboxHash(ticketNumber) {
      return `t${ticketNumber}-${mac('mailbox', String(ticketNumber)).toString('hex').slice(0, 20)}`;
    },
    ticketFromMailboxHash(hash) {
      const match = MAILBOX_HASH.exec(hash.trim().toLowerCase());
      if (!match) return null;
      const number = Number(match[1]);
      const expected = mac('mailbox', String(number)).toString('hex').slice(0, 20);
      return equal(Buffer.from(match[2]!), Buffer.from(expected)) ? number : null;
    },
  };
}
