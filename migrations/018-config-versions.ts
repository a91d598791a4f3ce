import { DataTypes, QueryTypes, type QueryInterface } from 'sequelize';

/**
 * Published versions of SLA policies and business calendars. The policy and calendar rows
 * become the admin's draft; each publish adds an immutable version row holding the snapshot
 * new tickets start with. Tickets record the policy and calendar versions their clocks run
 * on, so "apply to open tickets" finds the ones on an older version by index.
 * Existing rows are published as they stand, at their current version number, which is the
 * version running tickets already carry in their snapshots.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  const versionTable = (owner: string) => ({
    [owner]: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    version: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    snapshot: { type: DataTypes.JSON, allowNull: false },
    note: { type: DataTypes.STRING(500), allowNull: true },
    published_by: { type: DataTypes.INTEGER, allowNull: true },
    published_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.createTable('sla_policy_versions', versionTable('policy_id'));
  await qi.createTable('business_calendar_versions', versionTable('calendar_id'));

  await qi.addColumn('tickets', 'sla_policy_id', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addColumn('tickets', 'sla_policy_version', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addColumn('tickets', 'sla_calendar_id', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addColumn('tickets', 'sla_calendar_version', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addIndex('tickets', ['sla_policy_id', 'sla_policy_version']);
  await qi.addIndex('tickets', ['sla_calendar_id', 'sla_calendar_version']);

  // Open tickets projected before this migration: their calendar is their team's, their policy
  // the one the read model's SLA summary names; their versions stay unknown (null counts as older).
  await qi.sequelize.query('UPDATE tickets SET sla_calendar_id = (SELECT calendar_id FROM teams WHERE teams.id = tickets.team_id) WHERE sla IS NOT NULL');
  const withSla = await qi.sequelize.query<{ number: number; sla: unknown }>('SELECT number, sla FROM tickets WHERE sla IS NOT NULL', { type: QueryTypes.SELECT });
  for (const t of withSla) {
    const policyId = (parse(t.sla) as { policyId?: number } | null)?.policyId;
    if (policyId) await qi.bulkUpdate('tickets', { sla_policy_id: policyId }, { number: t.number });
  }

  const now = new Date();
  const policies = await qi.sequelize.query<Record<string, unknown>>('SELECT * FROM sla_policies', { type: QueryTypes.SELECT });
  if (policies.length > 0) {
    await qi.bulkInsert(
      'sla_policy_versions',
      policies.map((p) => ({
        policy_id: p.id,
        version: p.version,
        snapshot: JSON.stringify({
          firstResponseMinutes: p.first_response_minutes,
          resolutionMinutes: p.resolution_minutes,
          clock: p.clock,
          pauseStatuses: parse(p.pause_statuses),
          ladder: parse(p.escalation_ladder),
        }),
        note: 'published as it stood when versions arrived',
        published_by: null,
        published_at: now,
      })),
    );
  }
  const calendars = await qi.sequelize.query<Record<string, unknown>>('SELECT * FROM business_calendars', { type: QueryTypes.SELECT });
  if (calendars.length > 0) {
    await qi.bulkInsert(
      'business_calendar_versions',
      calendars.map((c) => ({
        calendar_id: c.id,
        version: c.version,
        snapshot: JSON.stringify({ name: c.name, timeZone: c.time_zone, weeklyHours: parse(c.weekly_hours), holidays: parse(c.holidays) }),
        note: 'published as it stood when versions arrived',
        published_by: null,
        published_at: now,
      })),
    );
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('tickets', ['sla_calendar_id', 'sla_calendar_version']);
  await qi.removeIndex('tickets', ['sla_policy_id', 'sla_policy_version']);
  for (const column of ['sla_calendar_version', 'sla_calendar_id', 'sla_policy_version', 'sla_policy_id']) await qi.removeColumn('tickets', column);
  await qi.dropTable('business_calendar_versions');
  await qi.dropTable('sla_policy_versions');
}
