import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Organisation configuration (edited by admins, snapshotted into workflows) and the
 * ticket read model (written only by the workflow's projection activity).
 */
const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };
const timestamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};
const version = { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('app_meta', {
    key: { type: DataTypes.STRING(64), primaryKey: true },
    value: { type: DataTypes.TEXT, allowNull: false },
  });

  await qi.createTable('departments', {
    id,
    code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(120), allowNull: false },
    head_user_id: { type: DataTypes.INTEGER, allowNull: true },
    version,
    ...timestamps,
  });

  await qi.createTable('users', {
    id,
    email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(120), allowNull: false },
    auth_subject: { type: DataTypes.STRING(191), allowNull: true, unique: true },
    title: { type: DataTypes.STRING(120), allowNull: true },
    department_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'departments', key: 'id' } },
    manager_id: { type: DataTypes.INTEGER, allowNull: true },
    location: { type: DataTypes.STRING(80), allowNull: true },
    vip: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    roles: { type: DataTypes.JSON, allowNull: false },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    version,
    ...timestamps,
  });

  await qi.createTable('business_calendars', {
    id,
    code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(120), allowNull: false },
    time_zone: { type: DataTypes.STRING(64), allowNull: false },
    weekly_hours: { type: DataTypes.JSON, allowNull: false },
    holidays: { type: DataTypes.JSON, allowNull: false },
    version,
    ...timestamps,
  });

  await qi.createTable('teams', {
    id,
    code: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(120), allowNull: false },
    department_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'departments', key: 'id' } },
    calendar_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'business_calendars', key: 'id' } },
    assignment_strategy: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'queue' },
    round_robin_last_user_id: { type: DataTypes.INTEGER, allowNull: true },
    version,
    ...timestamps,
  });

  await qi.createTable('team_members', {
    team_id: { type: DataTypes.INTEGER, primaryKey: true, references: { model: 'teams', key: 'id' } },
    user_id: { type: DataTypes.INTEGER, primaryKey: true, references: { model: 'users', key: 'id' } },
    membership: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'agent' },
    on_shift: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
  });
  await qi.addIndex('team_members', ['user_id']);

  await qi.createTable('categories', {
    id,
    code: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(120), allowNull: false },
    department_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'departments', key: 'id' } },
    parent_id: { type: DataTypes.INTEGER, allowNull: true },
    default_team_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'teams', key: 'id' } },
    field_schema: { type: DataTypes.JSON, allowNull: false },
    approval_rule: { type: DataTypes.JSON, allowNull: true },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    version,
    ...timestamps,
  });

  await qi.createTable('sla_policies', {
    id,
    department_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'departments', key: 'id' } },
    team_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'teams', key: 'id' } },
    priority: { type: DataTypes.STRING(16), allowNull: false },
    first_response_minutes: { type: DataTypes.INTEGER, allowNull: false },
    resolution_minutes: { type: DataTypes.INTEGER, allowNull: false },
    clock: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'business' },
    pause_statuses: { type: DataTypes.JSON, allowNull: false },
    escalation_ladder: { type: DataTypes.JSON, allowNull: false },
    version,
    ...timestamps,
  });
  await qi.addIndex('sla_policies', ['department_id', 'team_id', 'priority']);

  await qi.createTable('routing_rules', {
    id,
    position: { type: DataTypes.INTEGER, allowNull: false },
    name: { type: DataTypes.STRING(120), allowNull: false },
    conditions: { type: DataTypes.JSON, allowNull: false },
    team_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'teams', key: 'id' } },
    enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    version,
    ...timestamps,
  });

  // The auto-increment id IS the ticket number: allocating it in the same insert that
  // records the idempotency key makes a retried create find the number it got before.
  await qi.createTable('ticket_requests', {
    id,
    requester_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'users', key: 'id' } },
    idempotency_key: { type: DataTypes.STRING(128), allowNull: false },
    request_hash: { type: DataTypes.STRING(64), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('ticket_requests', ['requester_id', 'idempotency_key'], { unique: true });

  await qi.createTable('tickets', {
    number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    workflow_id: { type: DataTypes.STRING(64), allowNull: false },
    title: { type: DataTypes.STRING(200), allowNull: false },
    description: { type: DataTypes.TEXT, allowNull: false },
    status: { type: DataTypes.STRING(32), allowNull: false },
    priority: { type: DataTypes.STRING(16), allowNull: false },
    channel: { type: DataTypes.STRING(16), allowNull: false },
    category_id: { type: DataTypes.INTEGER, allowNull: false },
    department_id: { type: DataTypes.INTEGER, allowNull: false },
    team_id: { type: DataTypes.INTEGER, allowNull: true },
    assignee_id: { type: DataTypes.INTEGER, allowNull: true },
    requester_id: { type: DataTypes.INTEGER, allowNull: false },
    custom_fields: { type: DataTypes.JSON, allowNull: false },
    sla_breached: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    // The workflow's own sequence number of the last change this row reflects.
    seq: { type: DataTypes.INTEGER, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
    resolved_at: { type: DataTypes.DATE, allowNull: true },
    closed_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('tickets', ['requester_id', 'updated_at']);
  await qi.addIndex('tickets', ['team_id', 'status']);
  await qi.addIndex('tickets', ['department_id', 'status']);
  await qi.addIndex('tickets', ['assignee_id', 'status']);
  await qi.addIndex('tickets', ['status', 'priority']);
  await qi.addIndex('tickets', ['updated_at']);

  await qi.createTable('ticket_events', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    seq: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    type: { type: DataTypes.STRING(48), allowNull: false },
    actor_id: { type: DataTypes.INTEGER, allowNull: true },
    from_status: { type: DataTypes.STRING(32), allowNull: true },
    to_status: { type: DataTypes.STRING(32), allowNull: true },
    data: { type: DataTypes.JSON, allowNull: false },
    occurred_at: { type: DataTypes.DATE, allowNull: false },
  });

  // Round-robin advances a shared cursor; recording each ticket's decision makes a
  // retried assignment activity return the same person instead of skipping one.
  await qi.createTable('assignment_decisions', {
    ticket_number: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    team_id: { type: DataTypes.INTEGER, allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: true },
    strategy: { type: DataTypes.STRING(16), allowNull: false },
    decided_at: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of [
    'assignment_decisions',
    'ticket_events',
    'tickets',
    'ticket_requests',
    'routing_rules',
    'sla_policies',
    'categories',
    'team_members',
    'teams',
    'business_calendars',
    'users',
    'departments',
    'app_meta',
  ]) {
    await qi.dropTable(table);
  }
}
