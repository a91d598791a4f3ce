import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import { common, json, noTimestamps, pk, version } from './model-kit';
import { defineDirectoryModels, type DirectoryModels } from './models-directory';
import { defineIntegrationModels, type IntegrationModels } from './models-integrations';
import { definePortalModels, type PortalModels } from './models-portal';

/**
 * Sequelize models over the tables the migrations create. Migrations own the schema;
 * these definitions only describe it to the ORM (no `sync()` anywhere).
 */
export interface Models extends IntegrationModels, DirectoryModels, PortalModels {
  AppMeta: ModelStatic<Model>;
  Department: ModelStatic<Model>;
  User: ModelStatic<Model>;
  BusinessCalendar: ModelStatic<Model>;
  Team: ModelStatic<Model>;
  TeamMember: ModelStatic<Model>;
  Category: ModelStatic<Model>;
  SlaPolicy: ModelStatic<Model>;
  RoutingRule: ModelStatic<Model>;
  TicketRequest: ModelStatic<Model>;
  Ticket: ModelStatic<Model>;
  TicketEvent: ModelStatic<Model>;
  AssignmentDecision: ModelStatic<Model>;
  TicketMessage: ModelStatic<Model>;
  TicketShare: ModelStatic<Model>;
  ApprovalTask: ModelStatic<Model>;
  ApprovalGroup: ModelStatic<Model>;
  ApprovalGroupMember: ModelStatic<Model>;
  Delegation: ModelStatic<Model>;
  Notification: ModelStatic<Model>;
  OncallPage: ModelStatic<Model>;
  AuditLog: ModelStatic<Model>;
}

export function defineModels(sequelize: Sequelize): Models {
  const AppMeta = sequelize.define(
    'AppMeta',
    { key: { type: DataTypes.STRING, primaryKey: true }, value: DataTypes.TEXT },
    { tableName: 'app_meta', timestamps: false },
  );
  const Department = sequelize.define(
    'Department',
    { id: pk, code: DataTypes.STRING, name: DataTypes.STRING, head_user_id: DataTypes.INTEGER, version },
    { ...common, tableName: 'departments' },
  );
  const User = sequelize.define(
    'User',
    {
      id: pk,
      email: DataTypes.STRING,
      name: DataTypes.STRING,
      auth_subject: DataTypes.STRING,
      title: DataTypes.STRING,
      department_id: DataTypes.INTEGER,
      manager_id: DataTypes.INTEGER,
      location: DataTypes.STRING,
      vip: DataTypes.BOOLEAN,
      roles: json('roles'),
      active: DataTypes.BOOLEAN,
      // The identity provider's view (migration 015): SCIM-owned people keep these in step.
      external_id: DataTypes.STRING,
      user_name: DataTypes.STRING,
      employee_number: DataTypes.STRING,
      scim_managed: DataTypes.BOOLEAN,
      version,
    },
    { ...common, tableName: 'users' },
  );
  const BusinessCalendar = sequelize.define(
    'BusinessCalendar',
    {
      id: pk,
      code: DataTypes.STRING,
      name: DataTypes.STRING,
      time_zone: DataTypes.STRING,
      weekly_hours: json('weekly_hours'),
      holidays: json('holidays'),
      version,
    },
    { ...common, tableName: 'business_calendars' },
  );
  const Team = sequelize.define(
    'Team',
    {
      id: pk,
      code: DataTypes.STRING,
      name: DataTypes.STRING,
      department_id: DataTypes.INTEGER,
      calendar_id: DataTypes.INTEGER,
      assignment_strategy: DataTypes.STRING,
      round_robin_last_user_id: DataTypes.INTEGER,
      version,
    },
    { ...common, tableName: 'teams' },
  );
  const TeamMember = sequelize.define(
    'TeamMember',
    {
      team_id: { type: DataTypes.INTEGER, primaryKey: true },
      user_id: { type: DataTypes.INTEGER, primaryKey: true },
      membership: DataTypes.STRING,
      on_shift: DataTypes.BOOLEAN,
    },
    { tableName: 'team_members', timestamps: false },
  );
  const Category = sequelize.define(
    'Category',
    {
      id: pk,
      code: DataTypes.STRING,
      name: DataTypes.STRING,
      department_id: DataTypes.INTEGER,
      parent_id: DataTypes.INTEGER,
      default_team_id: DataTypes.INTEGER,
      field_schema: json('field_schema'),
      approval_rule: json('approval_rule'),
      active: DataTypes.BOOLEAN,
      version,
    },
    { ...common, tableName: 'categories' },
  );
  const SlaPolicy = sequelize.define(
    'SlaPolicy',
    {
      id: pk,
      department_id: DataTypes.INTEGER,
      team_id: DataTypes.INTEGER,
      priority: DataTypes.STRING,
      first_response_minutes: DataTypes.INTEGER,
      resolution_minutes: DataTypes.INTEGER,
      clock: DataTypes.STRING,
      pause_statuses: json('pause_statuses'),
      escalation_ladder: json('escalation_ladder'),
      version,
    },
    { ...common, tableName: 'sla_policies' },
  );
  const RoutingRule = sequelize.define(
    'RoutingRule',
    {
      id: pk,
      position: DataTypes.INTEGER,
      name: DataTypes.STRING,
      conditions: json('conditions'),
      team_id: DataTypes.INTEGER,
      enabled: DataTypes.BOOLEAN,
      version,
    },
    { ...common, tableName: 'routing_rules' },
  );
  const TicketRequest = sequelize.define(
    'TicketRequest',
    {
      id: pk,
      requester_id: DataTypes.INTEGER,
      idempotency_key: DataTypes.STRING,
      request_hash: DataTypes.STRING,
    },
    { tableName: 'ticket_requests', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false },
  );
  const Ticket = sequelize.define(
    'Ticket',
    {
      number: { type: DataTypes.INTEGER, primaryKey: true },
      workflow_id: DataTypes.STRING,
      title: DataTypes.STRING,
      description: DataTypes.TEXT,
      status: DataTypes.STRING,
      priority: DataTypes.STRING,
      channel: DataTypes.STRING,
      category_id: DataTypes.INTEGER,
      department_id: DataTypes.INTEGER,
      team_id: DataTypes.INTEGER,
      assignee_id: DataTypes.INTEGER,
      requester_id: DataTypes.INTEGER,
      custom_fields: json('custom_fields'),
      sla_breached: DataTypes.BOOLEAN,
      first_response_breached: DataTypes.BOOLEAN,
      resolution_breached: DataTypes.BOOLEAN,
      seq: DataTypes.INTEGER,
      created_at: DataTypes.DATE,
      updated_at: DataTypes.DATE,
      resolved_at: DataTypes.DATE,
      closed_at: DataTypes.DATE,
      first_response_due: DataTypes.DATE,
      resolution_due: DataTypes.DATE,
      first_response_at: DataTypes.DATE,
      sla: json('sla'),
      approval: json('approval'),
    },
    // Timestamps come from the workflow's clock, not from the time the projection ran.
    { tableName: 'tickets', timestamps: false },
  );
  const TicketEvent = sequelize.define(
    'TicketEvent',
    {
      ticket_number: { type: DataTypes.INTEGER, primaryKey: true },
      seq: { type: DataTypes.INTEGER, primaryKey: true },
      type: DataTypes.STRING,
      actor_id: DataTypes.INTEGER,
      from_status: DataTypes.STRING,
      to_status: DataTypes.STRING,
      data: json('data'),
      occurred_at: DataTypes.DATE,
      visibility: DataTypes.STRING,
    },
    { tableName: 'ticket_events', timestamps: false },
  );
  const AssignmentDecision = sequelize.define(
    'AssignmentDecision',
    {
      request_key: { type: DataTypes.STRING, primaryKey: true },
      ticket_number: DataTypes.INTEGER,
      team_id: DataTypes.INTEGER,
      user_id: DataTypes.INTEGER,
      strategy: DataTypes.STRING,
      decided_at: DataTypes.DATE,
    },
    { tableName: 'assignment_requests', timestamps: false },
  );
  const TicketMessage = sequelize.define(
    'TicketMessage',
    {
      ticket_number: { type: DataTypes.INTEGER, primaryKey: true },
      seq: { type: DataTypes.INTEGER, primaryKey: true },
      author_id: DataTypes.INTEGER,
      author_name: DataTypes.STRING,
      visibility: DataTypes.STRING,
      body: DataTypes.TEXT,
      mentions: json('mentions'),
      created_at: DataTypes.DATE,
    },
    noTimestamps('ticket_messages'),
  );
  const TicketShare = sequelize.define(
    'TicketShare',
    { ticket_number: { type: DataTypes.INTEGER, primaryKey: true }, team_id: { type: DataTypes.INTEGER, primaryKey: true }, access: DataTypes.STRING },
    noTimestamps('ticket_shares'),
  );
  const ApprovalTask = sequelize.define(
    'ApprovalTask',
    {
      ticket_number: { type: DataTypes.INTEGER, primaryKey: true },
      step: { type: DataTypes.INTEGER, primaryKey: true },
      approver_id: { type: DataTypes.INTEGER, primaryKey: true },
      acting_user_id: DataTypes.INTEGER,
      step_name: DataTypes.STRING,
      status: DataTypes.STRING,
      started_at: DataTypes.DATE,
      decided_at: DataTypes.DATE,
      decided_by: DataTypes.INTEGER,
    },
    noTimestamps('approval_tasks'),
  );
  const ApprovalGroup = sequelize.define('ApprovalGroup', { code: { type: DataTypes.STRING, primaryKey: true }, name: DataTypes.STRING }, noTimestamps('approval_groups'));
  const ApprovalGroupMember = sequelize.define(
    'ApprovalGroupMember',
    { group_code: { type: DataTypes.STRING, primaryKey: true }, user_id: { type: DataTypes.INTEGER, primaryKey: true } },
    noTimestamps('approval_group_members'),
  );
  const Delegation = sequelize.define(
    'Delegation',
    { id: pk, from_user_id: DataTypes.INTEGER, to_user_id: DataTypes.INTEGER, starts_on: DataTypes.STRING, ends_on: DataTypes.STRING, created_at: DataTypes.DATE },
    noTimestamps('delegations'),
  );
  const Notification = sequelize.define(
    'Notification',
    {
      id: { type: DataTypes.STRING, primaryKey: true },
      user_id: DataTypes.INTEGER,
      ticket_number: DataTypes.INTEGER,
      kind: DataTypes.STRING,
      title: DataTypes.STRING,
      body: DataTypes.TEXT,
      created_at: DataTypes.DATE,
      read_at: DataTypes.DATE,
    },
    noTimestamps('notifications'),
  );
  const OncallPage = sequelize.define(
    'OncallPage',
    { id: { type: DataTypes.STRING, primaryKey: true }, ticket_number: DataTypes.INTEGER, team_id: DataTypes.INTEGER, message: DataTypes.TEXT, created_at: DataTypes.DATE },
    noTimestamps('oncall_pages'),
  );
  const AuditLog = sequelize.define(
    'AuditLog',
    {
      id: pk,
      actor_id: DataTypes.INTEGER,
      entity: DataTypes.STRING,
      entity_id: DataTypes.STRING,
      action: DataTypes.STRING,
      before: json('before'),
      after: json('after'),
      at: DataTypes.DATE,
      actor_label: DataTypes.STRING,
    },
    noTimestamps('audit_log'),
  );
  return {
    ...defineIntegrationModels(sequelize),
    ...defineDirectoryModels(sequelize),
    ...definePortalModels(sequelize),
    AppMeta,
    Department,
    User,
    BusinessCalendar,
    Team,
    TeamMember,
    Category,
    SlaPolicy,
    RoutingRule,
    TicketRequest,
    Ticket,
    TicketEvent,
    AssignmentDecision,
    TicketMessage,
    TicketShare,
    ApprovalTask,
    ApprovalGroup,
    ApprovalGroupMember,
    Delegation,
    Notification,
    OncallPage,
    AuditLog,
  };
}
