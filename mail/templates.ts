import { templateProblems, type ModelShape } from './mustachio';

/**
 * The email templates, one per notification kind the workflow emits (the kind is the
 * Postmark template alias), and the model every one of them is rendered with.
 */
export const NOTIFICATION_KINDS = [
  'created',
  'new_ticket',
  'assigned',
  'status_changed',
  'public_reply',
  'mention',
  'approval_requested',
  'approval_reminder',
  'approval_escalated',
  'approval_delegated',
  'escalation',
  'page',
  'sla_warning',
  'sla_breached',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const APPROVAL_LINK_KINDS: readonly string[] = ['approval_requested', 'approval_reminder', 'approval_escalated', 'approval_delegated'];

/** The model sent as Postmark's TemplateModel. */
export interface TemplateModel {
  product_name: string;
  support_address: string;
  recipient: { name: string; email: string };
  ticket: { number: number; title: string; url: string };
  notification: { kind: string; title: string; body: string };
  /** Present only in an approver's email about a step waiting on them. */
  approval?: { approve_url: string; reject_url: string; expires_at: string };
}

export const TEMPLATE_MODEL_SHAPE: ModelShape = {
  product_name: true,
  support_address: true,
  recipient: { name: true, email: true },
  ticket: { number: true, title: true, url: true },
  notification: { kind: true, title: true, body: true },
  approval: { approve_url: true, reject_url: true, expires_at: true },
};

export interface TemplateContent {
  alias: string;
  name: string;
  subject: string;
  htmlBody: string;
  textBody: string;
}

/** Each field's problems, keyed by the API's field name; empty when the template will render. */
export function templateFieldProblems(content: Pick<TemplateContent, 'subject' | 'htmlBody' | 'textBody'>): Array<{ field: string; message: string }> {
  const problems = (['subject', 'htmlBody', 'textBody'] as const).flatMap((field) => templateProblems(content[field], TEMPLATE_MODEL_SHAPE).map((message) => ({ field, message })));
  // Every model value is text someone typed (a title, a reply, a name): unescaped in HTML it becomes markup or script in the mail.
  for (const raw of new Set(content.htmlBody.match(/\{\{\{[^}]*\}\}\}/g) ?? [])) {
    problems.push({ field: 'htmlBody', message: `${raw} would put text people typed into the email unescaped; use ${raw.slice(1, -1)}` });
  }
  return problems;
}

const DEFAULTS: Record<NotificationKind, { name: string; lead: string; replyHint: boolean }> = {
  created: { name: 'Ticket received (requester)', lead: 'We received your ticket and will keep you posted as it moves.', replyHint: true },
  new_ticket: { name: 'New ticket for the team', lead: 'A new ticket is waiting in your team queue.', replyHint: false },
  assigned: { name: 'Ticket assigned to you', lead: 'A ticket has been assigned to you.', replyHint: false },
  status_changed: { name: 'Ticket status changed', lead: 'There is news on your ticket.', replyHint: true },
  public_reply: { name: 'New public reply', lead: 'There is a new reply on the ticket:', replyHint: true },
  mention: { name: 'You were mentioned', lead: 'You were mentioned on a ticket:', replyHint: false },
  approval_requested: { name: 'Approval requested', lead: 'A request is waiting for your approval.', replyHint: false },
  approval_reminder: { name: 'Approval reminder', lead: 'Reminder: a request is still waiting for your approval.', replyHint: false },
  approval_escalated: { name: 'Approval escalated to you', lead: 'An approval that was not decided in time has been escalated to you.', replyHint: false },
  approval_delegated: { name: 'Approval delegated to you', lead: 'An approval has been delegated to you.', replyHint: false },
  escalation: { name: 'SLA escalation', lead: 'A ticket has been escalated under its service level agreement.', replyHint: false },
  page: { name: 'On-call page', lead: 'You are being paged for a ticket.', replyHint: false },
  sla_warning: { name: 'SLA warning', lead: 'A ticket is close to missing its service level target.', replyHint: false },
  sla_breached: { name: 'SLA breached', lead: 'A ticket has missed its service level target.', replyHint: false },
};

const APPROVAL_HTML =
  '{{#approval}}<p style="margin:24px 0">' +
  '<a href="{{approve_url}}" style="background:#1a7f37;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">Approve</a> ' +
  '<a href="{{reject_url}}" style="background:#b42318;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none;margin-left:8px">Reject</a></p>' +
  '<p style="color:#555;font-size:13px">Each button opens a confirmation page; nothing is decided until you confirm there. The links work once and expire {{expires_at}}.</p>{{/approval}}';

const APPROVAL_TEXT = '{{#approval}}\nApprove: {{approve_url}}\nReject: {{reject_url}}\n(Each link opens a confirmation page, works once and expires {{expires_at}}.)\n{{/approval}}';

export function defaultTemplate(kind: NotificationKind): TemplateContent {
  const { name, lead, replyHint } = DEFAULTS[kind];
  const approval = APPROVAL_LINK_KINDS.includes(kind);
  const hintHtml = replyHint ? '<p style="color:#555;font-size:13px">Reply to this email to add a public reply to the ticket.</p>' : '';
  const hintText = replyHint ? '\nReply to this email to add a public reply to the ticket.\n' : '';
  return {
    alias: kind,
    name,
    subject: '{{notification.title}}',
    htmlBody:
      '<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1f2328;max-width:600px">' +
      `<p>Hello {{recipient.name}},</p><p>${lead}</p>` +
      '<p><strong>#{{ticket.number}} {{ticket.title}}</strong></p>' +
      '{{#notification.body}}<blockquote style="border-left:3px solid #d0d7de;margin:0;padding:4px 12px;white-space:pre-wrap">{{notification.body}}</blockquote>{{/notification.body}}' +
      (approval ? APPROVAL_HTML : '') +
      '<p><a href="{{ticket.url}}">Open ticket #{{ticket.number}} in the portal</a></p>' +
      hintHtml +
      '<p style="color:#555;font-size:13px">{{product_name}}</p></body></html>',
    textBody:
      `Hello {{recipient.name}},\n\n${lead}\n\n#{{ticket.number}} {{ticket.title}}\n` +
      '{{#notification.body}}\n{{notification.body}}\n{{/notification.body}}' +
      (approval ? APPROVAL_TEXT : '') +
      '\nOpen the ticket: {{ticket.url}}\n' +
      hintText +
      '\n-- \n{{product_name}}\n',
  };
}

export function defaultTemplates(): TemplateContent[] {
  return NOTIFICATION_KINDS.map(defaultTemplate);
}
