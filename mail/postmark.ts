import { Errors, ServerClient } from 'postmark';
import type { Logger } from 'pino';
import type { Config } from '../lib/config';
import type { Models } from '../lib/db/models';
import type { TemplateContent } from './templates';

/** POSTMARK_SERVER_TOKEN's default: accepted by the local sink, never by Postmark. */
export const DEFAULT_SINK_TOKEN = 'local-sink-token';

/** The real Postmark client, pointed at POSTMARK_API_URL (the local sink) when set. */
export function createPostmarkClient(mail: Pick<Config['mail'], 'serverToken' | 'apiUrl'>): ServerClient {
  if (!mail.apiUrl) return new ServerClient(mail.serverToken, { timeout: 20 });
  const url = new URL(mail.apiUrl);
  return new ServerClient(mail.serverToken, { useHttps: url.protocol === 'https:', requestHost: `${url.host}${url.pathname.replace(/\/+$/, '')}`, timeout: 20 });
}

export const TEMPLATE_NOT_FOUND = 1101;

export function isPostmarkError(err: unknown, code?: number): err is Errors.PostmarkError {
  return err instanceof Errors.PostmarkError && (code === undefined || err.code === code);
}

export async function loadTemplates(models: Models, alias?: string): Promise<TemplateContent[]> {
  const rows = await models.NotificationTemplate.findAll({ where: alias ? { alias } : {}, order: [['alias', 'ASC']] });
  return rows.map((r) => ({
    alias: r.get('alias') as string,
    name: r.get('name') as string,
    subject: r.get('subject') as string,
    htmlBody: r.get('html_body') as string,
    textBody: r.get('text_body') as string,
  }));
}

/** Creates or edits the Postmark template with this alias so Postmark renders what the database holds. */
export async function pushTemplate(postmark: ServerClient, t: TemplateContent): Promise<void> {
  const fields = { Name: t.name, Subject: t.subject, HtmlBody: t.htmlBody, TextBody: t.textBody };
  try {
    await postmark.editTemplate(t.alias, fields);
  } catch (err) {
    if (!isPostmarkError(err, TEMPLATE_NOT_FOUND)) throw err;
    try {
      await postmark.createTemplate({ ...fields, Alias: t.alias });
    } catch (createErr) {
      // Another sender (another worker) created it since our edit missed it: edit that one.
      if (!isPostmarkError(createErr)) throw createErr;
      await postmark.editTemplate(t.alias, fields).catch(() => Promise.reject(createErr));
    }
  }
}

/** At worker start: every template to Postmark. A failure is logged; a send that misses its template pushes it then. */
export async function syncTemplates(postmark: ServerClient, models: Models, logger: Logger): Promise<number> {
  const templates = await loadTemplates(models);
  try {
    for (const t of templates) await pushTemplate(postmark, t);
    logger.info({ templates: templates.length }, 'notification templates pushed to Postmark');
    return templates.length;
  } catch (err) {
    logger.warn({ err }, 'could not push notification templates to Postmark; sends will push them on demand');
    return 0;
  }
}
