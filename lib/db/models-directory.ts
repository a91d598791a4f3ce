import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import { common, noTimestamps, pk, version } from './model-kit';

/** The identity provider's groups (SCIM) and the table that turns membership into roles and teams. */
export interface DirectoryModels {
  ScimGroup: ModelStatic<Model>;
  ScimGroupMember: ModelStatic<Model>;
  ScimGroupMapping: ModelStatic<Model>;
}

export function defineDirectoryModels(sequelize: Sequelize): DirectoryModels {
  const ScimGroup = sequelize.define('ScimGroup', { id: pk, display_name: DataTypes.STRING, external_id: DataTypes.STRING, version }, { ...common, tableName: 'scim_groups' });
  const ScimGroupMember = sequelize.define(
    'ScimGroupMember',
    { group_id: { type: DataTypes.INTEGER, primaryKey: true }, user_id: { type: DataTypes.INTEGER, primaryKey: true } },
    noTimestamps('scim_group_members'),
  );
  const ScimGroupMapping = sequelize.define(
    'ScimGroupMapping',
    { id: pk, group_name: DataTypes.STRING, role: DataTypes.STRING, team_code: DataTypes.STRING, membership: DataTypes.STRING },
    noTimestamps('scim_group_mappings'),
  );
  return { ScimGroup, ScimGroupMember, ScimGroupMapping };
}
