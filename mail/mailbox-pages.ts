import { escapeHtml } from './mustachio';

/** What the sink keeps of each accepted message: what Postmark would have delivered. */
export interface SinkMessage {
  id: string;
  receivedAt: string;
  from: string;
  to: string;
  /** Lowercased bare addresses of To, Cc and Bcc, for lookups. */
  recipients: string[];
  cc: string | null;
  bcc: string | null;
  replyTo: string | null;
  subject: string;
  htmlBody: string | null;
  textBody: string | null;
  tag: string | null;
  messageStream: string;
  headers: Array<{ Name: string; Value: string }>;
  metadata: Record<string, string>;
  templateAlias: string | null;
  templateId: number | null;
  templateModel: unknown;
  attachments: Array<{ name: string; contentType: string; bytes: number }>;
}

/** The mailbox pages allow no script, no outside resource and no form anywhere. */
export const MAILBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const e = (value: unknown) => escapeHtml(value === null || value === undefined ? '' : String(value));

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title><style>
body{font-family:system-ui,sans-serif;margin:24px;color:#1f2328}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
iframe{width:100%;height:480px;border:1px solid #d0d7de}pre{white-space:pre-wrap;background:#f6f8fa;padding:12px}
.muted{color:#59636e;font-size:13px}</style></head><body>${body}</body></html>`;
}

export function mailboxListPage(messages: SinkMessage[], total: number): string {
  const rows = messages
    .map(
      (m) =>
        `<tr><td class="muted">${e(m.receivedAt)}</td><td>${e(m.to)}</td><td><a href="/messages/${encodeURIComponent(m.id)}">${e(m.subject || '(no subject)')}</a></td><td>${e(m.tag)}</td><td>${e(m.templateAlias)}</td></tr>`,
    )
    .join('');
  return page(
    'Mailbox',
    `<h1>Local mailbox</h1><p class="muted">Every email the system sent through the Postmark-compatible sink, newest first (${total} in all${total > messages.length ? `, ${messages.length} shown` : ''}). Nothing here leaves this machine.</p>` +
      `<table><thead><tr><th>Received</th><th>To</th><th>Subject</th><th>Tag</th><th>Template</th></tr></thead><tbody>${rows || '<tr><td colspan="5">No messages yet.</td></tr>'}</tbody></table>`,
  );
}

export function mailboxMessagePage(m: SinkMessage): string {
  const facts: Array<[string, unknown]> = [
    ['From', m.from],
    ['To', m.to],
    ['Cc', m.cc],
    ['Bcc', m.bcc],
    ['Reply-To', m.replyTo],
    ['Subject', m.subject],
    ['Received', m.receivedAt],
    ['Message ID', m.id],
    ['Tag', m.tag],
    ['Stream', m.messageStream],
    ['Template', m.templateAlias ?? m.templateId],
  ];
  const headerRows = [...facts.filter(([, v]) => v !== null && v !== undefined && v !== ''), ...m.headers.map((h) => [h.Name, h.Value] as [string, unknown])]
    .map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`)
    .join('');
  const attachments = m.attachments.length ? `<h2>Attachments</h2><ul>${m.attachments.map((a) => `<li>${e(a.name)} (${e(a.contentType)}, ${a.bytes} bytes)</li>`).join('')}</ul>` : '';
  // srcdoc keeps the message's HTML in its own document; an empty sandbox runs no script in it.
  const html = m.htmlBody !== null ? `<h2>HTML body</h2><iframe sandbox="" title="HTML body" srcdoc="${e(m.htmlBody)}"></iframe>` : '';
  const text = m.textBody !== null ? `<h2>Text body</h2><pre>${e(m.textBody)}</pre>` : '';
  return page(m.subject || 'Message', `<p><a href="/">← Mailbox</a></p><h1>${e(m.subject || '(no subject)')}</h1><table>${headerRows}</table>${html}${text}${attachments}`);
}
