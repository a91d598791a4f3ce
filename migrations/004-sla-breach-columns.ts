import { DataTypes, type QueryInterface } from 'sequelize';

/** Per-clock breach flags, so SLA compliance reports are plain indexed counts. */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('tickets', 'first_response_breached', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await qi.addColumn('tickets', 'resolution_breached', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await qi.addIndex('tickets', ['team_id', 'created_at']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('tickets', ['team_id', 'created_at']);
  await qi.removeColumn('tickets', 'resolution_breached');
  await qi.removeColumn('tickets', 'first_response_breached');
}
