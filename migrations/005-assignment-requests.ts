import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Approval tasks remember who decided. And one stored decision per assignment request (ticket, team, the ticket version that asked)
 * instead of per ticket: a ticket transferred to another team is assigned afresh there,
 * while a retried activity still gets the same answer.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('assignment_requests', {
    request_key: { type: DataTypes.STRING(96), primaryKey: true },
    ticket_number: { type: DataTypes.INTEGER, allowNull: false },
    team_id: { type: DataTypes.INTEGER, allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: true },
    strategy: { type: DataTypes.STRING(16), allowNull: false },
    decided_at: { type: DataTypes.DATE, allowNull: false },
  });
  const key = qi.sequelize.getDialect() === 'sqlite' ? "ticket_number || ':' || team_id || ':legacy'" : "CONCAT_WS(':', ticket_number, team_id, 'legacy')";
  await qi.sequelize.query(
    `INSERT INTO assignment_requests (request_key, ticket_number, team_id, user_id, strategy, decided_at)
     SELECT ${key}, ticket_number, team_id, user_id, strategy, decided_at FROM assignment_decisions`,
  );
  await qi.dropTable('assignment_decisions');
  // Who actually decided (a delegate acting for the approver keeps seeing what they decided).
  await qi.addColumn('approval_tasks', 'decided_by', { type: DataTypes.INTEGER, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('approval_tasks', 'decided_by');
  await qi.createTable('assignment_decisions', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    team_id: { type: DataTypes.INTEGER, allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: true },
    strategy: { type: DataTypes.STRING(16), allowNull: false },
    decided_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.dropTable('assignment_requests');
}
