import type { Logger } from 'pino';
import type { ServerClient } from 'postmark';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { pushTemplate } from '../../mail/postmark';
import { templateFieldProblems } from '../../mail/templates';
import { ApiError, notFound } from '../errors';
import { audit } from './audit';

export const TemplateAlias = z.string().regex(/^[a-z][a-z_]{0,47}$/, 'must be a notification kind such as approval_requested');

export const NotificationTemplateBody = z.strictObject({
  name: z.string().trim().min(1).max(120).optional(),
  subject: z.string().trim().min(1).max(500),
  htmlBody: z.string().min(1).max(200_000),
  textBody: z.string().min(1).max(100_000),
  expectedVersion: z.number().int().min(1),
});
export type NotificationTemplateBody = z.infer<typeof NotificationTemplateBody>;

function view(row: { get(key: string): unknown }) {
  return {
    alias: row.get('alias') as string,
    name: row.get('name') as string,
    subject: row.get('subject') as string,
    htmlBody: row.get('html_body') as string,
    textBody: row.get('text_body') as string,
    version: row.get('version') as number,
    updatedBy: (row.get('updated_by') as number | null) ?? null,
    updatedAt: new Date(row.get('updated_at') as string).toISOString(),
  };
}

/**
 * The email templates (one per notification kind). An edit is checked against the model
 * the sender fills, so a template that would render blanks or break is refused before it
 * reaches Postmark; a saved edit is pushed to Postmark at once.
 */
export function createNotificationTemplateAdmin({ models, postmark, logger }: { models: Models; postmark?: ServerClient; logger: Logger }) {
  return {
    async list(page: number, limit: number) {
      const { rows, count } = await models.NotificationTemplate.findAndCountAll({ order: [['alias', 'ASC']], limit, offset: (page - 1) * limit });
      return { items: rows.map(view), total: count };
    },
    async get(alias: string) {
      const row = await models.NotificationTemplate.findByPk(alias);
      if (!row) throw notFound('Notification template');
      return view(row);
    },
    async update(actor: UserProfile, alias: string, body: NotificationTemplateBody) {
      const problems = templateFieldProblems(body);
      if (problems.length > 0) throw new ApiError(422, 'INVALID_TEMPLATE', 'The template would not render; see each field', problems);
      const row = await models.NotificationTemplate.findByPk(alias);
      if (!row) throw notFound('Notification template');
      const before = view(row);
      const [updated] = await models.NotificationTemplate.update(
        {
          name: body.name ?? before.name,
          subject: body.subject,
          html_body: body.htmlBody,
          text_body: body.textBody,
          version: body.expectedVersion + 1,
          updated_by: actor.id,
          updated_at: new Date(),
        },
        { where: { alias, version: body.expectedVersion } },
      );
      if (updated === 0) {
        throw new ApiError(409, 'STALE_VERSION', `The template changed since version ${body.expectedVersion}; reload it`, [{ field: 'expectedVersion', message: 'is stale' }]);
      }
      const after = view((await models.NotificationTemplate.findByPk(alias))!);
      await audit(models, actor, 'notification_template', alias, 'update', before, after);
      let pushed = false;
      if (postmark) {
        try {
          await pushTemplate(postmark, { alias, name: after.name, subject: after.subject, htmlBody: after.htmlBody, textBody: after.textBody });
          pushed = true;
        } catch (err) {
          // Saved either way: the worker pushes every template when it starts, and a send that misses one pushes it.
          logger.error({ err, alias }, 'could not push the edited template to Postmark');
        }
      }
      return { ...after, pushedToPostmark: pushed };
    },
  };
}
