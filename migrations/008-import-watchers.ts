import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * CSV imports (one row per uploaded file, one per CSV line with its outcome) and ticket
 * watchers. Import rows keep the parsed cells until they are processed, so an import
 * interrupted by an API restart resumes from the rows still pending.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('imports', {
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    created_by: { type: DataTypes.INTEGER, allowNull: false },
    filename: { type: DataTypes.STRING(200), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    total_rows: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    created_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    existing_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    failed_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    failure: { type: DataTypes.TEXT, allowNull: true },
    // The lease: the API process working on the import renews it; a stale lease means that process died.
    lease_owner: { type: DataTypes.STRING(64), allowNull: true },
    lease_until: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    started_at: { type: DataTypes.DATE, allowNull: true },
    finished_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('imports', ['created_by', 'created_at']);
  await qi.addIndex('imports', ['status']);
  await qi.createTable('import_rows', {
    import_id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    row_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    external_id: { type: DataTypes.STRING(191), allowNull: true },
    outcome: { type: DataTypes.STRING(16), allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: true },
    errors: { type: DataTypes.JSON, allowNull: true },
    data: { type: DataTypes.JSON, allowNull: true },
  });
  // Finds the pending rows to work on, and the ticket an external id already produced.
  await qi.addIndex('import_rows', ['import_id', 'outcome']);
  await qi.addIndex('import_rows', ['external_id']);
  await qi.createTable('ticket_watchers', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    user_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    added_by: { type: DataTypes.INTEGER, allowNull: true },
    reason: { type: DataTypes.STRING(16), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('ticket_watchers', ['user_id']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('ticket_watchers');
  await qi.dropTable('import_rows');
  await qi.dropTable('imports');
}
