import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import { json, noTimestamps, pk, version } from './model-kit';

/**
 * The read tables of the integrations around a ticket: email out (templates, the outbox,
 * approval-link claims), files and email in, CSV imports, and watchers. Like every model
 * here they only describe tables the migrations own.
 */
export interface IntegrationModels {
  NotificationTemplate: ModelStatic<Model>;
  EmailOutbox: ModelStatic<Model>;
  ApprovalLinkUse: ModelStatic<Model>;
  Attachment: ModelStatic<Model>;
  AttachmentDownload: ModelStatic<Model>;
  InboundEmail: ModelStatic<Model>;
  Import: ModelStatic<Model>;
  ImportRow: ModelStatic<Model>;
  TicketWatcher: ModelStatic<Model>;
}

export function defineIntegrationModels(sequelize: Sequelize): IntegrationModels {
  const NotificationTemplate = sequelize.define(
    'NotificationTemplate',
    {
      alias: { type: DataTypes.STRING, primaryKey: true },
      name: DataTypes.STRING,
      subject: DataTypes.STRING,
      html_body: DataTypes.TEXT,
      text_body: DataTypes.TEXT,
      version,
      updated_by: DataTypes.INTEGER,
      updated_at: DataTypes.DATE,
    },
    noTimestamps('notification_templates'),
  );
  const EmailOutbox = sequelize.define(
    'EmailOutbox',
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      notification_id: DataTypes.STRING,
      user_id: DataTypes.INTEGER,
      ticket_number: DataTypes.INTEGER,
      kind: DataTypes.STRING,
      to_address: DataTypes.STRING,
      status: DataTypes.STRING,
      message_id: DataTypes.STRING,
      error: DataTypes.TEXT,
      attempts: DataTypes.INTEGER,
      created_at: DataTypes.DATE,
      updated_at: DataTypes.DATE,
      sent_at: DataTypes.DATE,
    },
    noTimestamps('email_outbox'),
  );
  const ApprovalLinkUse = sequelize.define(
    'ApprovalLinkUse',
    {
      jti: { type: DataTypes.STRING, primaryKey: true },
      ticket_number: DataTypes.INTEGER,
      step: DataTypes.INTEGER,
      approver_id: DataTypes.INTEGER,
      decision: DataTypes.STRING,
      outcome: DataTypes.STRING,
      used_at: DataTypes.DATE,
    },
    noTimestamps('approval_link_uses'),
  );
  const Attachment = sequelize.define(
    'Attachment',
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      ticket_number: DataTypes.INTEGER,
      filename: DataTypes.STRING,
      content_type: DataTypes.STRING,
      size: DataTypes.INTEGER,
      sha256: DataTypes.STRING,
      storage_key: DataTypes.STRING,
      status: DataTypes.STRING,
      scan_detail: DataTypes.STRING,
      scanned_at: DataTypes.DATE,
      visibility: DataTypes.STRING,
      uploaded_by: DataTypes.INTEGER,
      source: DataTypes.STRING,
      created_at: DataTypes.DATE,
      purged_at: DataTypes.DATE,
    },
    noTimestamps('attachments'),
  );
  const AttachmentDownload = sequelize.define(
    'AttachmentDownload',
    { id: pk, attachment_id: DataTypes.STRING, user_id: DataTypes.INTEGER, at: DataTypes.DATE, ip: DataTypes.STRING },
    noTimestamps('attachment_downloads'),
  );
  const InboundEmail = sequelize.define(
    'InboundEmail',
    {
      id: pk,
      message_id: DataTypes.STRING,
      from_address: DataTypes.STRING,
      to_address: DataTypes.STRING,
      mailbox_hash: DataTypes.STRING,
      subject: DataTypes.STRING,
      outcome: DataTypes.STRING,
      reason: DataTypes.STRING,
      status_code: DataTypes.INTEGER,
      ticket_number: DataTypes.INTEGER,
      detail: json('detail'),
      received_at: DataTypes.DATE,
    },
    noTimestamps('inbound_emails'),
  );
  const Import = sequelize.define(
    'Import',
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      created_by: DataTypes.INTEGER,
      filename: DataTypes.STRING,
      status: DataTypes.STRING,
      total_rows: DataTypes.INTEGER,
      created_count: DataTypes.INTEGER,
      existing_count: DataTypes.INTEGER,
      failed_count: DataTypes.INTEGER,
      failure: DataTypes.TEXT,
      lease_owner: DataTypes.STRING,
      lease_until: DataTypes.DATE,
      created_at: DataTypes.DATE,
      started_at: DataTypes.DATE,
      finished_at: DataTypes.DATE,
    },
    noTimestamps('imports'),
  );
  const ImportRow = sequelize.define(
    'ImportRow',
    {
      import_id: { type: DataTypes.STRING, primaryKey: true },
      row_number: { type: DataTypes.INTEGER, primaryKey: true },
      external_id: DataTypes.STRING,
      outcome: DataTypes.STRING,
      ticket_number: DataTypes.INTEGER,
      errors: json('errors'),
      data: json('data'),
    },
    noTimestamps('import_rows'),
  );
  const TicketWatcher = sequelize.define(
    'TicketWatcher',
    {
      ticket_number: { type: DataTypes.INTEGER, primaryKey: true },
      user_id: { type: DataTypes.INTEGER, primaryKey: true },
      added_by: DataTypes.INTEGER,
      reason: DataTypes.STRING,
      created_at: DataTypes.DATE,
    },
    noTimestamps('ticket_watchers'),
  );
  return { NotificationTemplate, EmailOutbox, ApprovalLinkUse, Attachment, AttachmentDownload, InboundEmail, Import, ImportRow, TicketWatcher };
}
