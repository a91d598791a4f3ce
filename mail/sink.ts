import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MAILBOX_CSP, mailboxListPage, mailboxMessagePage, type SinkMessage } from './mailbox-pages';
import { renderTemplate, TemplateSyntaxError, parseTemplate } from './mustachio';
import { createSinkFaults, type SinkFaultControls } from './sink-faults';
import { searchOutbound } from './sink-search';

/**
 * A local stand-in for Postmark's HTTP API: it answers the real `postmark` client's calls
 * (send, batch, send with template, batch with templates, templates CRUD) with Postmark's
 * own shapes, status codes and error codes, renders templates as Postmark would, and keeps
 * what it "delivered" in a mailbox that people browse and tests query.
 */
export interface MailSinkOptions {
  port?: number;
  host?: string;
  serverToken: string;
  /** Append-only JSONL file of accepted messages, read back at start so restarts keep the mailbox. */
  file?: string;
  /** Addresses Postmark would refuse as inactive (hard bounce, spam complaint). */
  inactiveRecipients?: string[];
}

export interface MailSink extends SinkFaultControls {
  url: string;
  messages(filter?: { to?: string; tag?: string }): SinkMessage[];
  stop(): Promise<void>;
}

interface StoredTemplate {
  TemplateId: number;
  Name: string;
  Alias: string | null;
  Subject: string;
  HtmlBody: string | null;
  TextBody: string | null;
  TemplateType: 'Standard' | 'Layout';
  LayoutTemplate: string | null;
  Active: boolean;
}

/** A refusal in Postmark's shape: HTTP status plus `{ ErrorCode, Message }`. */
class PostmarkFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const ALIAS = /^[A-Za-z][A-Za-z0-9._-]{0,99}$/;
const MAX_BATCH = 500;
const MAX_RECIPIENTS = 50;

/** Bare addresses of a Postmark address list ("a@x, Name <b@y>"), or the first entry that is not one. */
function parseAddresses(list: string): { addresses: string[]; invalid?: string } {
  const addresses: string[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const angled = /<([^<>]+)>\s*$/.exec(raw);
    const address = (angled ? angled[1]! : raw).trim();
    if (!ADDRESS.test(address)) return { addresses, invalid: raw };
    addresses.push(address.toLowerCase());
  }
  return { addresses };
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export async function startMailSink(options: MailSinkOptions): Promise<MailSink> {
  const mailbox: SinkMessage[] = options.file ? readMailbox(options.file) : [];
  const templates = new Map<number, StoredTemplate>();
  const inactive = new Set((options.inactiveRecipients ?? []).map((a) => a.toLowerCase()));
  let nextTemplateId = 10_000;
  const faults = createSinkFaults();

  function findTemplate(idOrAlias: string | number): StoredTemplate | undefined {
    if (typeof idOrAlias === 'number' || /^\d+$/.test(idOrAlias)) return templates.get(Number(idOrAlias));
    return [...templates.values()].find((t) => t.Alias !== null && t.Alias.toLowerCase() === idOrAlias.toLowerCase());
  }

  function checkRecipients(field: string, value: unknown, required: boolean): string[] {
    if (value === undefined || value === null || value === '') {
      if (required) throw new PostmarkFailure(422, 300, 'Zero recipients specified');
      return [];
    }
    if (typeof value !== 'string') throw new PostmarkFailure(422, 300, `Invalid '${field}' address.`);
    const { addresses, invalid } = parseAddresses(value);
    if (invalid !== undefined) throw new PostmarkFailure(422, 300, `Invalid '${field}' address: '${invalid}'.`);
    if (required && addresses.length === 0) throw new PostmarkFailure(422, 300, 'Zero recipients specified');
    return addresses;
  }

  /** Refuses a send request as a whole while the fault injection says Postmark is down. */
  function refuseIfDown(messages: unknown[]): void {
    const status = faults.outageStatus(messages);
    if (status !== undefined) throw new PostmarkFailure(status, 0, 'Simulated outage of the local mail sink.');
  }

  /** Validates and "delivers" one message; answers Postmark's per-message response. */
  function accept(body: Record<string, unknown>, rendered: { subject: string; htmlBody: string | null; textBody: string | null }, template?: StoredTemplate) {
    const from = str(body.From);
    if (!from) throw new PostmarkFailure(422, 300, "Invalid 'From' address: ''.");
    if (parseAddresses(from).invalid !== undefined || parseAddresses(from).addresses.length !== 1) throw new PostmarkFailure(422, 300, `Invalid 'From' address: '${from}'.`);
    const recipients = [...checkRecipients('To', body.To, true), ...checkRecipients('Cc', body.Cc, false), ...checkRecipients('Bcc', body.Bcc, false)];
    if (recipients.length > MAX_RECIPIENTS) throw new PostmarkFailure(422, 300, `You may not send to more than ${MAX_RECIPIENTS} recipients.`);
    if (body.ReplyTo !== undefined && body.ReplyTo !== null && body.ReplyTo !== '') checkRecipients('ReplyTo', body.ReplyTo, false);
    if (!rendered.htmlBody && !rendered.textBody) throw new PostmarkFailure(422, 300, 'Provide either email TextBody or HtmlBody or both.');
    const dead = recipients.filter((r) => inactive.has(r));
    if (dead.length > 0) {
      throw new PostmarkFailure(
        422,
        406,
        `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${dead.join(', ')}. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.`,
      );
    }
    const headers = Array.isArray(body.Headers)
      ? (body.Headers as unknown[]).filter((h): h is { Name: string; Value: string } => typeof (h as { Name?: unknown })?.Name === 'string' && typeof (h as { Value?: unknown })?.Value === 'string')
      : [];
    const attachments = Array.isArray(body.Attachments)
      ? (body.Attachments as Array<Record<string, unknown>>).map((a) => ({ name: String(a?.Name ?? ''), contentType: String(a?.ContentType ?? ''), bytes: Buffer.from(String(a?.Content ?? ''), 'base64').length }))
      : [];
    const message: SinkMessage = {
      id: crypto.randomUUID(),
      receivedAt: new Date().toISOString(),
      from,
      to: String(body.To),
      recipients,
      cc: str(body.Cc),
      bcc: str(body.Bcc),
      replyTo: str(body.ReplyTo),
      subject: rendered.subject,
      htmlBody: rendered.htmlBody,
      textBody: rendered.textBody,
      tag: str(body.Tag),
      messageStream: str(body.MessageStream) ?? 'outbound',
      headers,
      metadata: body.Metadata && typeof body.Metadata === 'object' ? (body.Metadata as Record<string, string>) : {},
      templateAlias: template?.Alias ?? null,
      templateId: template?.TemplateId ?? null,
      templateModel: template ? (body.TemplateModel ?? {}) : null,
      attachments,
    };
    mailbox.push(message);
    if (options.file) fs.appendFileSync(options.file, `${JSON.stringify(message)}\n`);
    return { To: message.to, SubmittedAt: message.receivedAt, MessageID: message.id, ErrorCode: 0, Message: 'OK' };
  }

  function sendPlain(body: Record<string, unknown>) {
    return accept(body, { subject: str(body.Subject) ?? '', htmlBody: str(body.HtmlBody), textBody: str(body.TextBody) });
  }

  function sendTemplated(body: Record<string, unknown>) {
    const key = body.TemplateAlias ?? body.TemplateId;
    if (typeof key !== 'string' && typeof key !== 'number') throw new PostmarkFailure(422, 1101, 'The TemplateId or TemplateAlias is required.');
    const template = findTemplate(key);
    if (!template || !template.Active || template.TemplateType !== 'Standard') throw new PostmarkFailure(422, 1101, `The template '${String(key)}' was not found.`);
    const model = body.TemplateModel && typeof body.TemplateModel === 'object' ? body.TemplateModel : {};
    return accept(
      body,
      {
        subject: renderTemplate(template.Subject, model, { html: false }),
        htmlBody: template.HtmlBody ? renderTemplate(template.HtmlBody, model, { html: true }) : null,
        textBody: template.TextBody ? renderTemplate(template.TextBody, model, { html: false }) : null,
      },
      template,
    );
  }

  /** A batch answers 200 with each message's own outcome, as Postmark does. */
  function batch(items: unknown, send: (b: Record<string, unknown>) => unknown) {
    if (!Array.isArray(items)) throw new PostmarkFailure(422, 402, 'Received invalid JSON input.');
    if (items.length > MAX_BATCH) throw new PostmarkFailure(422, 410, `Too many batch messages. You may send up to ${MAX_BATCH} messages per batch.`);
    return items.map((item) => {
      try {
        return send(item && typeof item === 'object' ? (item as Record<string, unknown>) : {});
      } catch (err) {
        if (!(err instanceof PostmarkFailure)) throw err;
        return { ErrorCode: err.errorCode, Message: err.message };
      }
    });
  }

  function templateFields(body: Record<string, unknown>, existing?: StoredTemplate): StoredTemplate {
    const pick = <K extends keyof StoredTemplate>(key: K, fallback: StoredTemplate[K]): StoredTemplate[K] => (body[key] === undefined ? fallback : (body[key] as StoredTemplate[K]));
    const next: StoredTemplate = {
      TemplateId: existing?.TemplateId ?? 0,
      Name: pick('Name', existing?.Name ?? ''),
      Alias: pick('Alias', existing?.Alias ?? null),
      Subject: pick('Subject', existing?.Subject ?? ''),
      HtmlBody: pick('HtmlBody', existing?.HtmlBody ?? null),
      TextBody: pick('TextBody', existing?.TextBody ?? null),
      TemplateType: pick('TemplateType', existing?.TemplateType ?? 'Standard'),
      LayoutTemplate: pick('LayoutTemplate', existing?.LayoutTemplate ?? null),
      Active: true,
    };
    if (typeof next.Name !== 'string' || !next.Name.trim()) throw new PostmarkFailure(422, 1105, 'The Name field is required.');
    if (next.TemplateType === 'Standard' && (typeof next.Subject !== 'string' || !next.Subject.trim())) throw new PostmarkFailure(422, 1105, 'The Subject field is required.');
    if (!next.HtmlBody && !next.TextBody) throw new PostmarkFailure(422, 1105, 'The HtmlBody or TextBody field is required.');
    if (next.Alias !== null && (typeof next.Alias !== 'string' || !ALIAS.test(next.Alias))) {
      throw new PostmarkFailure(422, 1100, `The alias '${String(next.Alias)}' is invalid: start with a letter; use letters, digits, '.', '-' and '_'.`);
    }
    const clash = next.Alias !== null ? findTemplate(next.Alias) : undefined;
    if (clash && clash.TemplateId !== next.TemplateId) throw new PostmarkFailure(422, 1100, `The alias '${next.Alias}' is already in use by another template.`);
    for (const [field, source] of [['Subject', next.Subject], ['HtmlBody', next.HtmlBody], ['TextBody', next.TextBody]] as const) {
      try {
        if (source) parseTemplate(source);
      } catch (err) {
        if (err instanceof TemplateSyntaxError) throw new PostmarkFailure(422, 1100, `The ${field} of the template is invalid: ${err.message}`);
        throw err;
      }
    }
    return next;
  }

  const summary = (t: StoredTemplate) => ({ TemplateId: t.TemplateId, Name: t.Name, Active: t.Active, Alias: t.Alias, TemplateType: t.TemplateType, LayoutTemplate: t.LayoutTemplate });

  const app = express();
  app.disable('x-powered-by');

  app.get('/', (req, res) => {
    const limit = Math.min(Number(req.query.limit) || 200, 1000);
    res.setHeader('Content-Security-Policy', MAILBOX_CSP).type('html').send(mailboxListPage([...mailbox].reverse().slice(0, limit), mailbox.length));
  });
  app.get('/messages/:id', (req, res, next) => {
    // Postmark's own message search lives beside these pages, behind its server token.
    if (req.params.id === 'outbound' || req.params.id === 'inbound') return next();
    const message = mailbox.find((m) => m.id === req.params.id);
    res.setHeader('Content-Security-Policy', MAILBOX_CSP);
    if (!message) res.status(404).type('text').send('No such message');
    else res.type('html').send(mailboxMessagePage(message));
  });
  app.get('/api/messages', (req, res) => {
    const found = select({ to: str(req.query.to) ?? undefined, tag: str(req.query.tag) ?? undefined });
    res.json({ total: found.length, messages: found });
  });

  // Everything Postmark serves needs the server token, as Postmark checks it before anything else.
  const postmark = express.Router();
  postmark.use((req, _res, next) => {
    const token = req.get('X-Postmark-Server-Token');
    if (!token) next(new PostmarkFailure(401, 10, 'No Account or Server API tokens were supplied in the HTTP headers. Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.'));
    else if (token !== options.serverToken) next(new PostmarkFailure(401, 10, 'Request does not contain a valid Server token.'));
    else next();
  });
  postmark.use(express.json({ limit: '50mb', type: () => true }));
  const objectBody = (req: Request) => {
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw new PostmarkFailure(422, 402, 'Received invalid JSON input.');
    return req.body as Record<string, unknown>;
  };
  postmark.get('/messages/outbound', (req, res) => {
    const answer = searchOutbound(mailbox, req.query as Record<string, unknown>);
    if ('refused' in answer) throw new PostmarkFailure(422, 700, answer.refused);
    res.json(answer);
  });
  const messagesOf = (items: unknown): unknown[] => (Array.isArray(items) ? items : []);
  postmark.post('/email', (req, res) => {
    refuseIfDown([req.body]);
    res.json(sendPlain(objectBody(req)));
  });
  postmark.post('/email/batch', (req, res) => {
    refuseIfDown(messagesOf(req.body));
    res.json(batch(req.body, sendPlain));
  });
  postmark.post('/email/withTemplate', (req, res) => {
    refuseIfDown([req.body]);
    faults.answerTemplated(req, res, sendTemplated(objectBody(req)));
  });
  postmark.post('/email/batchWithTemplates', (req, res) => {
    const { Messages } = objectBody(req);
    refuseIfDown(messagesOf(Messages));
    faults.answerTemplated(req, res, batch(Messages, sendTemplated));
  });
  postmark.get('/templates', (req, res) => {
    const count = Number(req.query.count ?? req.query.Count ?? 100);
    const offset = Number(req.query.offset ?? req.query.Offset ?? 0);
    if (!Number.isInteger(count) || count < 1 || count > 500 || !Number.isInteger(offset) || offset < 0) throw new PostmarkFailure(422, 1100, 'Count must be 1–500 and Offset zero or more.');
    const type = str(req.query.templateType ?? req.query.TemplateType);
    const all = [...templates.values()].filter((t) => !type || type === 'All' || t.TemplateType === type);
    res.json({ TotalCount: all.length, Templates: all.slice(offset, offset + count).map(summary) });
  });
  postmark.post(['/templates', '/templates/'], (req, res) => {
    const created = { ...templateFields(objectBody(req)), TemplateId: nextTemplateId++ };
    templates.set(created.TemplateId, created);
    res.json(summary(created));
  });
  postmark.get('/templates/:idOrAlias', (req, res) => {
    const template = findTemplate(String(req.params.idOrAlias));
    if (!template) throw new PostmarkFailure(422, 1101, 'The template was not found.');
    res.json({ ...template, AssociatedServerId: 1 });
  });
  postmark.put('/templates/:idOrAlias', (req, res) => {
    const existing = findTemplate(String(req.params.idOrAlias));
    if (!existing) throw new PostmarkFailure(422, 1101, 'The template was not found.');
    const updated = templateFields(objectBody(req), existing);
    templates.set(updated.TemplateId, updated);
    res.json(summary(updated));
  });
  postmark.delete('/templates/:idOrAlias', (req, res) => {
    const existing = findTemplate(String(req.params.idOrAlias));
    if (!existing) throw new PostmarkFailure(422, 1101, 'The template was not found.');
    templates.delete(existing.TemplateId);
    res.json({ ErrorCode: 0, Message: `Template ${existing.TemplateId} removed.` });
  });
  app.use(postmark);
  app.use((_req, _res, next) => next(new PostmarkFailure(404, 0, 'The endpoint does not exist.')));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof PostmarkFailure) {
      res.status(err.status).json({ ErrorCode: err.errorCode, Message: err.message });
      return;
    }
    if ((err as { type?: string })?.type === 'entity.parse.failed') {
      res.status(422).json({ ErrorCode: 402, Message: 'Received invalid JSON input.' });
      return;
    }
    res.status(500).json({ ErrorCode: 0, Message: `The sink failed: ${err instanceof Error ? err.message : String(err)}` });
  });

  function select(filter: { to?: string; tag?: string } = {}): SinkMessage[] {
    const to = filter.to?.toLowerCase();
    return [...mailbox].reverse().filter((m) => (!to || m.recipients.includes(to)) && (!filter.tag || m.tag === filter.tag));
  }

  const server: http.Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    messages: select,
    ...faults.controls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readMailbox(file: string): SinkMessage[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as SinkMessage] : [];
      } catch {
        // A line cut short by a crash mid-write: the rest of the mailbox is still good.
        return [];
      }
    });
}
