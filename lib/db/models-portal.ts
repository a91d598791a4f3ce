import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import { common, json, pk } from './model-kit';

/** What the portal keeps for each person: their saved ticket-list filters (migration 017). */
export interface PortalModels {
  SavedFilter: ModelStatic<Model>;
}

export function definePortalModels(sequelize: Sequelize): PortalModels {
  const SavedFilter = sequelize.define(
    'SavedFilter',
    { id: pk, user_id: DataTypes.INTEGER, name: DataTypes.STRING, filters: json('filters') },
    { ...common, tableName: 'saved_filters' },
  );
  return { SavedFilter };
}
