import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Ticket-list filters a person saved under a name (the team backlog's "My P1s"). Each
 * belongs to one person, who alone reads or deletes it; a name is unique per person, so
 * saving under a name already used replaces that filter.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('saved_filters', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'users', key: 'id' }, onDelete: 'CASCADE' },
    name: { type: DataTypes.STRING(80), allowNull: false },
    filters: { type: DataTypes.JSON, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('saved_filters', ['user_id', 'name'], { unique: true, name: 'saved_filters_user_name' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('saved_filters');
}
