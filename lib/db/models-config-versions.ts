import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import { json, noTimestamps } from './model-kit';

/**
 * Published versions of SLA policies and business calendars (migration 017): immutable rows,
 * one per publish; new tickets start with the newest of each.
 */
export interface ConfigVersionModels {
  SlaPolicyVersion: ModelStatic<Model>;
  BusinessCalendarVersion: ModelStatic<Model>;
}

export function defineConfigVersionModels(sequelize: Sequelize): ConfigVersionModels {
  const columns = (owner: string) => ({
    [owner]: { type: DataTypes.INTEGER, primaryKey: true },
    version: { type: DataTypes.INTEGER, primaryKey: true },
    snapshot: json('snapshot'),
    note: DataTypes.STRING,
    published_by: DataTypes.INTEGER,
    published_at: DataTypes.DATE,
  });
  return {
    SlaPolicyVersion: sequelize.define('SlaPolicyVersion', columns('policy_id'), noTimestamps('sla_policy_versions')),
    BusinessCalendarVersion: sequelize.define('BusinessCalendarVersion', columns('calendar_id'), noTimestamps('business_calendar_versions')),
  };
}
