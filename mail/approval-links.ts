import crypto from 'node:crypto';
import type { Signer } from '../lib/signing';

/**
 * One-click approval links: a signed, expiring token naming the ticket, the step, the
 * approver and the decision. Both links of one email share a `jti`, so whichever is used
 * first uses up the pair (an approver cannot approve and then reject from the same email).
 */
export const APPROVAL_LINK_PURPOSE = 'approval-link';
export const APPROVAL_LINK_TTL_HOURS = 72;

export type LinkDecision = 'approve' | 'reject';

export interface ApprovalLinkPayload {
  ticket: number;
  step: number;
  approverId: number;
  decision: LinkDecision;
  jti: string;
}

/** The step an approval notification is about, from its stable id (`ticket-N:approval:<step>:<kind>…`). */
export function approvalStepOf(notificationId: string): number | null {
  const match = /^ticket-\d+:approval:(\d+):/.exec(notificationId);
  return match ? Number(match[1]) : null;
}

export function approvalLinks(
  signer: Signer,
  apiUrl: string,
  link: { ticket: number; step: number; approverId: number; emailKey: string },
  now: Date,
  ttlHours = APPROVAL_LINK_TTL_HOURS,
): { approve_url: string; reject_url: string; expires_at: Date } {
  // Derived from the email's outbox key: a resend of the same email carries the same jti.
  const jti = crypto.createHash('sha256').update(`approval-link:${link.emailKey}`).digest('hex').slice(0, 32);
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000);
  const url = (decision: LinkDecision) =>
    `${apiUrl.replace(/\/+$/, '')}/approval-links/${signer.seal(APPROVAL_LINK_PURPOSE, { ticket: link.ticket, step: link.step, approverId: link.approverId, decision, jti } satisfies ApprovalLinkPayload, expiresAt)}`;
  return { approve_url: url('approve'), reject_url: url('reject'), expires_at: expiresAt };
}

export type OpenedLink = { ok: true; payload: ApprovalLinkPayload; expiresAt: Date } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function openApprovalLink(signer: Signer, token: string, now: Date): OpenedLink {
  if (token.length > 2048) return { ok: false, reason: 'malformed' };
  const opened = signer.open<Record<string, unknown>>(APPROVAL_LINK_PURPOSE, token, now);
  if (!opened.ok) return opened;
  const p = opened.payload;
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!int(p.ticket) || !int(p.step) || !int(p.approverId) || (p.decision !== 'approve' && p.decision !== 'reject') || typeof p.jti !== 'string' || !/^[0-9a-f]{32}$/.test(p.jti)) {
    return { ok: false, reason: 'malformed' };
  }
  return { ok: true, payload: p as unknown as ApprovalLinkPayload, expiresAt: opened.expiresAt };
}
