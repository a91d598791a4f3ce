import { DataTypes, type Model } from 'sequelize';

/** The column shapes every model file shares. */
export const common = { underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: 'updated_at' } as const;
export const pk = { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true };
export const version = { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 };
export const noTimestamps = (tableName: string) => ({ tableName, timestamps: false });

/**
 * MariaDB stores JSON as LONGTEXT, so mysql2 hands it back as a string where MySQL 8
 * and SQLite hand back the parsed value; parsing in the getter gives one shape everywhere.
 */
export function json(name: string) {
  return {
    type: DataTypes.JSON,
    get(this: Model) {
      const raw: unknown = this.getDataValue(name);
      return typeof raw === 'string' ? JSON.parse(raw) : raw;
    },
  };
}
