import { escapeHtml as e } from '../mail/mustachio';

/**
 * The small server-rendered pages behind one-click approval links. No script at all
 * (the policy forbids it); a plain form posts the token back to the same origin.
 */
export const APPROVAL_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><style>
body{font-family:system-ui,sans-serif;max-width:560px;margin:48px auto;padding:0 16px;color:#1f2328}
.card{border:1px solid #d0d7de;border-radius:8px;padding:20px 24px}button{font-size:16px;padding:10px 20px;border-radius:6px;border:0;color:#fff;cursor:pointer}
.approve{background:#1a7f37}.reject{background:#b42318}textarea{width:100%;min-height:90px;font:inherit;margin:8px 0}.error{color:#b42318}.muted{color:#59636e}
</style></head><body><div class="card">${body}</div></body></html>`;
}

export interface ConfirmationView {
  token: string;
  decision: 'approve' | 'reject';
  ticketNumber: number;
  ticketTitle: string;
  stepName: string;
  approverName: string;
  error?: string;
  reason?: string;
}

export function confirmationPage(v: ConfirmationView): string {
  const approve = v.decision === 'approve';
  const what = approve
    ? 'Confirming records your approval of this step. If every required approver has agreed, the request moves on to the next step or to the team.'
    : 'Confirming rejects the request: the approval chain ends and the requester is told, with your reason.';
  const reason = approve
    ? ''
    : `<label for="reason"><strong>Reason</strong> (the requester will see it)</label><textarea id="reason" name="reason" maxlength="2000" required>${e(v.reason ?? '')}</textarea>`;
  return page(
    `${approve ? 'Approve' : 'Reject'} #${v.ticketNumber}`,
    `<h1>${approve ? 'Approve' : 'Reject'} request #${v.ticketNumber}?</h1>` +
      `<p><strong>${e(v.ticketTitle)}</strong></p><p class="muted">Step: ${e(v.stepName)} · acting as ${e(v.approverName)}</p>` +
      `<p>${what}</p>${v.error ? `<p class="error" role="alert">${e(v.error)}</p>` : ''}` +
      `<form method="post" action="./"><input type="hidden" name="token" value="${e(v.token)}">${reason}` +
      `<button type="submit" class="${approve ? 'approve' : 'reject'}">${approve ? 'Confirm approval' : 'Confirm rejection'}</button></form>` +
      '<p class="muted">Nothing has been decided yet; closing this page changes nothing.</p>',
  );
}

export function messagePage(title: string, message: string, link?: { href: string; label: string }): string {
  return page(title, `<h1>${e(title)}</h1><p>${e(message)}</p>${link ? `<p><a href="${e(link.href)}">${e(link.label)}</a></p>` : ''}`);
}
