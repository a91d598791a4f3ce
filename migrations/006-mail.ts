import { DataTypes, type QueryInterface } from 'sequelize';
import { defaultTemplates } from '../mail/templates';

/**
 * Email out: the editable notification templates (seeded with the defaults), the outbox
 * that makes each email go at most once per notification and person, and the claims
 * that make a one-click approval link single-use.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  // MySQL's TEXT stops at 64 KB; SQLite has one TEXT and warns about lengths.
  const longText = qi.sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('medium');
  await qi.createTable('notification_templates', {
    alias: { type: DataTypes.STRING(48), primaryKey: true, allowNull: false },
    name: { type: DataTypes.STRING(120), allowNull: false },
    subject: { type: DataTypes.STRING(500), allowNull: false },
    html_body: { type: longText, allowNull: false },
    text_body: { type: longText, allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    updated_by: { type: DataTypes.INTEGER, allowNull: true },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  const now = new Date();
  await qi.bulkInsert(
    'notification_templates',
    defaultTemplates().map((t) => ({ alias: t.alias, name: t.name, subject: t.subject, html_body: t.htmlBody, text_body: t.textBody, version: 1, updated_by: null, updated_at: now })),
  );

  // 191 characters keeps the primary key indexable under utf8mb4 on every MySQL/MariaDB.
  await qi.createTable('email_outbox', {
    id: { type: DataTypes.STRING(191), primaryKey: true, allowNull: false },
    notification_id: { type: DataTypes.STRING(160), allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: false },
    kind: { type: DataTypes.STRING(48), allowNull: false },
    to_address: { type: DataTypes.STRING(320), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    message_id: { type: DataTypes.STRING(64), allowNull: true },
    error: { type: DataTypes.TEXT, allowNull: true },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
    sent_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('email_outbox', ['status']);
  await qi.addIndex('email_outbox', ['ticket_number']);

  await qi.createTable('approval_link_uses', {
    jti: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: false },
    step: { type: DataTypes.INTEGER, allowNull: false },
    approver_id: { type: DataTypes.INTEGER, allowNull: false },
    decision: { type: DataTypes.STRING(16), allowNull: false },
    outcome: { type: DataTypes.STRING(32), allowNull: true },
    used_at: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('approval_link_uses');
  await qi.dropTable('email_outbox');
  await qi.dropTable('notification_templates');
}
