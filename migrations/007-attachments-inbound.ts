import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Attachments (metadata here, bytes behind the storage interface), who downloaded them,
 * and every message Postmark's inbound webhook delivered with what became of it.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('attachments', {
    // A random id, not a counter: attachment URLs must not be enumerable.
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: false },
    filename: { type: DataTypes.STRING(255), allowNull: false },
    content_type: { type: DataTypes.STRING(128), allowNull: false },
    size: { type: DataTypes.INTEGER, allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    storage_key: { type: DataTypes.STRING(128), allowNull: false, unique: true },
    status: { type: DataTypes.STRING(16), allowNull: false },
    scan_detail: { type: DataTypes.STRING(255), allowNull: true },
    scanned_at: { type: DataTypes.DATE, allowNull: true },
    visibility: { type: DataTypes.STRING(16), allowNull: false },
    uploaded_by: { type: DataTypes.INTEGER, allowNull: false },
    source: { type: DataTypes.STRING(16), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('attachments', ['ticket_number', 'created_at']);

  await qi.createTable('attachment_downloads', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    attachment_id: { type: DataTypes.STRING(36), allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    at: { type: DataTypes.DATE, allowNull: false },
    ip: { type: DataTypes.STRING(64), allowNull: true },
  });
  await qi.addIndex('attachment_downloads', ['attachment_id', 'at']);

  await qi.createTable('inbound_emails', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    // Unique so a redelivery by Postmark finds the first outcome; null for payloads too malformed to carry one.
    message_id: { type: DataTypes.STRING(255), allowNull: true, unique: true },
    from_address: { type: DataTypes.STRING(320), allowNull: true },
    to_address: { type: DataTypes.STRING(1000), allowNull: true },
    mailbox_hash: { type: DataTypes.STRING(128), allowNull: true },
    subject: { type: DataTypes.STRING(1000), allowNull: true },
    outcome: { type: DataTypes.STRING(32), allowNull: false },
    reason: { type: DataTypes.STRING(1000), allowNull: true },
    status_code: { type: DataTypes.INTEGER, allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: true },
    detail: { type: DataTypes.JSON, allowNull: true },
    received_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('inbound_emails', ['received_at']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('inbound_emails');
  await qi.dropTable('attachment_downloads');
  await qi.dropTable('attachments');
}
