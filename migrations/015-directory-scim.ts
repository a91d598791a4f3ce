import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * The directory as the identity provider sees it (SCIM 2.0): each person's id at the
 * provider, their employee number and whether the provider owns them (then the admin
 * console shows the provided fields read-only); SCIM groups and their members; and the
 * configurable table mapping a group to a role and a team membership. The audit log gains
 * a label for actors that are not people (the SCIM client).
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('users', 'external_id', { type: DataTypes.STRING(191), allowNull: true });
  await qi.addColumn('users', 'user_name', { type: DataTypes.STRING(191), allowNull: true });
  await qi.addColumn('users', 'employee_number', { type: DataTypes.STRING(64), allowNull: true });
  await qi.addColumn('users', 'scim_managed', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await qi.addIndex('users', ['user_name'], { unique: true, name: 'users_user_name_unique' });
  await qi.addIndex('users', ['external_id']);
  await qi.addColumn('audit_log', 'actor_label', { type: DataTypes.STRING(120), allowNull: true });

  await qi.createTable('scim_groups', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    display_name: { type: DataTypes.STRING(191), allowNull: false, unique: true },
    external_id: { type: DataTypes.STRING(191), allowNull: true },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.createTable('scim_group_members', {
    group_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false, references: { model: 'scim_groups', key: 'id' }, onDelete: 'CASCADE' },
    user_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false, references: { model: 'users', key: 'id' } },
  });
  await qi.addIndex('scim_group_members', ['user_id']);
  // Keyed by the group's display name (what an administrator sees in Entra ID or Okta) and by
  // team code, so the table can be written before either side exists.
  await qi.createTable('scim_group_mappings', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    group_name: { type: DataTypes.STRING(191), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false },
    team_code: { type: DataTypes.STRING(32), allowNull: true },
    membership: { type: DataTypes.STRING(16), allowNull: true },
  });
  await qi.addIndex('scim_group_mappings', ['group_name']);
  const defaults = [
    ['Service Desk Agents', 'agent', 'it-service-desk', 'agent'],
    ['Service Desk Leads', 'lead', 'it-service-desk', 'lead'],
    ['Infrastructure Engineers', 'agent', 'it-infrastructure', 'agent'],
    ['People Operations', 'agent', 'people-ops', 'agent'],
    ['Facilities Operations', 'agent', 'facilities-ops', 'agent'],
    ['Accounts Payable', 'agent', 'accounts-payable', 'agent'],
    ['Managers', 'manager', null, null],
    ['Ticketing Administrators', 'admin', null, null],
  ];
  await qi.bulkInsert(
    'scim_group_mappings',
    defaults.map(([group_name, role, team_code, membership]) => ({ group_name, role, team_code, membership })),
  );
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('scim_group_mappings');
  await qi.dropTable('scim_group_members');
  await qi.dropTable('scim_groups');
  await qi.removeColumn('audit_log', 'actor_label');
  await qi.removeIndex('users', ['external_id']);
  await qi.removeIndex('users', 'users_user_name_unique');
  for (const column of ['scim_managed', 'employee_number', 'user_name', 'external_id']) await qi.removeColumn('users', column);
}
