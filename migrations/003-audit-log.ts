import { DataTypes, type QueryInterface } from 'sequelize';

/** Every admin change: who, when, what it was before and after. */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('audit_log', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    actor_id: { type: DataTypes.INTEGER, allowNull: false },
    entity: { type: DataTypes.STRING(48), allowNull: false },
    entity_id: { type: DataTypes.STRING(64), allowNull: false },
    action: { type: DataTypes.STRING(32), allowNull: false },
    before: { type: DataTypes.JSON, allowNull: true },
    after: { type: DataTypes.JSON, allowNull: true },
    at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('audit_log', ['entity', 'entity_id']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('audit_log');
}
