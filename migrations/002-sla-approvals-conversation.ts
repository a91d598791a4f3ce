import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * SLA clocks, approval chains, conversation and sharing in the read model, plus the
 * configuration approvals need (groups, standing delegations) and the notification
 * store the workflow's activities write to.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('tickets', 'first_response_due', { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn('tickets', 'resolution_due', { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn('tickets', 'first_response_at', { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn('tickets', 'sla', { type: DataTypes.JSON, allowNull: true });
  await qi.addColumn('tickets', 'approval', { type: DataTypes.JSON, allowNull: true });
  await qi.addIndex('tickets', ['resolution_due']);
  await qi.addColumn('ticket_events', 'visibility', { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'public' });

  await qi.createTable('ticket_messages', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    seq: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    author_id: { type: DataTypes.INTEGER, allowNull: true },
    author_name: { type: DataTypes.STRING(120), allowNull: false },
    visibility: { type: DataTypes.STRING(16), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    mentions: { type: DataTypes.JSON, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });

  await qi.createTable('ticket_shares', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    team_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    access: { type: DataTypes.STRING(8), allowNull: false },
  });
  await qi.addIndex('ticket_shares', ['team_id']);

  // One row per approver slot of the current step: "approvals pending for me" is an index lookup.
  await qi.createTable('approval_tasks', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    step: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    approver_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    acting_user_id: { type: DataTypes.INTEGER, allowNull: false },
    step_name: { type: DataTypes.STRING(120), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    started_at: { type: DataTypes.DATE, allowNull: true },
    decided_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('approval_tasks', ['acting_user_id', 'status']);

  await qi.createTable('approval_groups', {
    code: { type: DataTypes.STRING(64), primaryKey: true },
    name: { type: DataTypes.STRING(120), allowNull: false },
  });
  await qi.createTable('approval_group_members', {
    group_code: { type: DataTypes.STRING(64), primaryKey: true },
    user_id: { type: DataTypes.INTEGER, primaryKey: true },
  });
  await qi.createTable('delegations', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    from_user_id: { type: DataTypes.INTEGER, allowNull: false },
    to_user_id: { type: DataTypes.INTEGER, allowNull: false },
    starts_on: { type: DataTypes.STRING(10), allowNull: false },
    ends_on: { type: DataTypes.STRING(10), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('delegations', ['from_user_id']);

  // The id is the workflow's stable notification id plus the recipient, so a retried activity inserts nothing twice.
  await qi.createTable('notifications', {
    id: { type: DataTypes.STRING(191), primaryKey: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    ticket_number: { type: DataTypes.INTEGER, allowNull: true },
    kind: { type: DataTypes.STRING(48), allowNull: false },
    title: { type: DataTypes.STRING(300), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    read_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('notifications', ['user_id', 'read_at']);

  await qi.createTable('oncall_pages', {
    id: { type: DataTypes.STRING(191), primaryKey: true },
    ticket_number: { type: DataTypes.INTEGER, allowNull: false },
    team_id: { type: DataTypes.INTEGER, allowNull: true },
    message: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of ['oncall_pages', 'notifications', 'delegations', 'approval_group_members', 'approval_groups', 'approval_tasks', 'ticket_shares', 'ticket_messages']) {
    await qi.dropTable(table);
  }
  await qi.removeColumn('ticket_events', 'visibility');
  await qi.removeIndex('tickets', ['resolution_due']);
  for (const column of ['approval', 'sla', 'first_response_at', 'resolution_due', 'first_response_due']) await qi.removeColumn('tickets', column);
}
