import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Attachment retention: a purged attachment keeps its row (name, size, hash, who uploaded it,
 * its downloads) for the audit, with its bytes gone and the time they went recorded here.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('attachments', 'purged_at', { type: DataTypes.DATE, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('attachments', 'purged_at');
}
