import { QueryTypes, type Sequelize } from 'sequelize';
import type { UserProfile } from '../../lib/db/organisation';
import { forbidden } from '../errors';
import type { Table } from './csv';

/**
 * Reports for leads, managers and admins, computed by the database over the read
 * tables only (never the workflows). Each returns a table: the same rows serve the
 * JSON answer, the portal's charts and the CSV download.
 */

export interface ReportFilter {
  from?: Date;
  to?: Date;
  teamId?: number;
  period: 'day' | 'month';
}

interface Scope {
  sql: string;
  replacements: Record<string, unknown>;
}

/** Leads see their teams, managers their department, admins everything; others have no reports. */
export function reportScope(user: UserProfile, filter: ReportFilter): Scope {
  const clauses: string[] = [];
  const replacements: Record<string, unknown> = {};
  if (!user.roles.includes('admin')) {
    const ledTeams = user.roles.includes('lead') ? user.teams.filter((t) => t.membership === 'lead').map((t) => t.id) : [];
    const department = user.roles.includes('manager') ? user.department?.id : undefined;
    if (ledTeams.length === 0 && department === undefined) throw forbidden('Reports are for team leads, managers and administrators');
    const visible: string[] = [];
    if (ledTeams.length) {
      visible.push('t.team_id IN (:ledTeams)');
      replacements.ledTeams = ledTeams;
    }
    if (department !== undefined) {
      visible.push('t.department_id = :department');
      replacements.department = department;
    }
    clauses.push(`(${visible.join(' OR ')})`);
  }
  if (filter.teamId) {
    clauses.push('t.team_id = :teamId');
    replacements.teamId = filter.teamId;
  }
  if (filter.from) {
    clauses.push('t.created_at >= :from');
    replacements.from = filter.from;
  }
  if (filter.to) {
    clauses.push('t.created_at < :to');
    replacements.to = filter.to;
  }
  return { sql: clauses.length ? clauses.join(' AND ') : '1=1', replacements };
}

const OPEN = "t.status NOT IN ('resolved', 'closed', 'rejected', 'cancelled')";

function periodOf(sequelize: Sequelize, period: ReportFilter['period']): string {
  const length = period === 'day' ? 10 : 7;
  // SQLite keeps dates as text ("2026-11-23 09:00:00.000 +00:00"); MySQL as DATETIME.
  return sequelize.getDialect() === 'sqlite' ? `substr(t.created_at, 1, ${length})` : `DATE_FORMAT(t.created_at, '${period === 'day' ? '%Y-%m-%d' : '%Y-%m'}')`;
}

async function table(sequelize: Sequelize, sql: string, replacements: Record<string, unknown>, columns: string[]): Promise<Table> {
  const rows = (await sequelize.query(sql, { replacements, type: QueryTypes.SELECT })) as Array<Record<string, unknown>>;
  return { columns, rows: rows.map((r) => columns.map((c) => (typeof r[c] === 'bigint' ? Number(r[c]) : r[c] ?? null))) };
}

export const REPORTS = ['backlog', 'sla-compliance', 'volume', 'agent-workload', 'approval-turnaround'] as const;
export type ReportName = (typeof REPORTS)[number];

export async function runReport(sequelize: Sequelize, name: ReportName, user: UserProfile, filter: ReportFilter, now = new Date()): Promise<Table> {
  const scope = reportScope(user, filter);
  const where = scope.sql;
  const r = scope.replacements;
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  switch (name) {
    case 'backlog':
      return table(
        sequelize,
        `SELECT t.priority AS priority,
           SUM(CASE WHEN t.created_at >= :d1 THEN 1 ELSE 0 END) AS under_1_day,
           SUM(CASE WHEN t.created_at < :d1 AND t.created_at >= :d3 THEN 1 ELSE 0 END) AS days_1_to_3,
           SUM(CASE WHEN t.created_at < :d3 AND t.created_at >= :d7 THEN 1 ELSE 0 END) AS days_3_to_7,
           SUM(CASE WHEN t.created_at < :d7 AND t.created_at >= :d30 THEN 1 ELSE 0 END) AS days_7_to_30,
           SUM(CASE WHEN t.created_at < :d30 THEN 1 ELSE 0 END) AS over_30_days,
           COUNT(*) AS total
         FROM tickets t WHERE ${OPEN} AND ${where}
         GROUP BY t.priority
         ORDER BY CASE t.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`,
        { ...r, d1: daysAgo(1), d3: daysAgo(3), d7: daysAgo(7), d30: daysAgo(30) },
        ['priority', 'under_1_day', 'days_1_to_3', 'days_3_to_7', 'days_7_to_30', 'over_30_days', 'total'],
      );
    case 'sla-compliance':
      return table(
        sequelize,
        `SELECT ${periodOf(sequelize, filter.period)} AS period, tm.name AS team,
           COUNT(*) AS tickets,
           SUM(CASE WHEN t.first_response_at IS NOT NULL AND t.first_response_breached = 0 THEN 1 ELSE 0 END) AS first_response_met,
           SUM(CASE WHEN t.first_response_breached = 1 THEN 1 ELSE 0 END) AS first_response_breached,
           SUM(CASE WHEN t.resolved_at IS NOT NULL AND t.resolution_breached = 0 THEN 1 ELSE 0 END) AS resolution_met,
           SUM(CASE WHEN t.resolution_breached = 1 THEN 1 ELSE 0 END) AS resolution_breached
         FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id
         WHERE t.sla IS NOT NULL AND ${where}
         GROUP BY period, tm.name ORDER BY period, tm.name`,
        r,
        ['period', 'team', 'tickets', 'first_response_met', 'first_response_breached', 'resolution_met', 'resolution_breached'],
      );
    case 'volume':
      return table(
        sequelize,
        `SELECT ${periodOf(sequelize, filter.period)} AS period, c.name AS category, t.channel AS channel, COUNT(*) AS tickets
         FROM tickets t LEFT JOIN categories c ON c.id = t.category_id
         WHERE ${where}
         GROUP BY period, c.name, t.channel ORDER BY period, c.name, t.channel`,
        r,
        ['period', 'category', 'channel', 'tickets'],
      );
    case 'agent-workload':
      return table(
        sequelize,
        `SELECT u.name AS agent, tm.name AS team,
           SUM(CASE WHEN t.status = 'assigned' THEN 1 ELSE 0 END) AS assigned,
           SUM(CASE WHEN t.status = 'in_progress' THEN 1 ELSE 0 END) AS in_progress,
           SUM(CASE WHEN t.status IN ('waiting_on_requester', 'waiting_on_vendor') THEN 1 ELSE 0 END) AS waiting,
           SUM(CASE WHEN t.sla_breached = 1 THEN 1 ELSE 0 END) AS breached,
           COUNT(*) AS open_total
         FROM tickets t JOIN users u ON u.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id
         WHERE ${OPEN} AND ${where}
         GROUP BY u.name, tm.name ORDER BY open_total DESC, u.name`,
        r,
        ['agent', 'team', 'assigned', 'in_progress', 'waiting', 'breached', 'open_total'],
      );
    case 'approval-turnaround': {
      const rows = (await sequelize.query(
        `SELECT a.step_name AS step, a.status AS status, a.started_at AS started_at, a.decided_at AS decided_at
         FROM approval_tasks a JOIN tickets t ON t.number = a.ticket_number
         WHERE a.decided_at IS NOT NULL AND a.started_at IS NOT NULL AND ${where}`,
        { replacements: r, type: QueryTypes.SELECT },
      )) as Array<{ step: string; status: string; started_at: string; decided_at: string }>;
      // Date arithmetic differs per dialect; the decided tasks are few enough to aggregate here.
      const byStep = new Map<string, { hours: number[]; approved: number; rejected: number }>();
      for (const row of rows) {
        const entry = byStep.get(row.step) ?? { hours: [], approved: 0, rejected: 0 };
        entry.hours.push((new Date(row.decided_at).getTime() - new Date(row.started_at).getTime()) / 3_600_000);
        if (row.status === 'approve') entry.approved += 1;
        if (row.status === 'reject') entry.rejected += 1;
        byStep.set(row.step, entry);
      }
      const round = (n: number) => Math.round(n * 100) / 100;
      return {
        columns: ['step', 'decisions', 'approved', 'rejected', 'median_hours', 'p90_hours', 'average_hours', 'longest_hours'],
        rows: [...byStep.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([step, e]) => [
            step,
            e.hours.length,
            e.approved,
            e.rejected,
            round(percentile(e.hours, 50)),
            round(percentile(e.hours, 90)),
            round(e.hours.reduce((s, h) => s + h, 0) / e.hours.length),
            round(Math.max(...e.hours)),
          ]),
      };
    }
  }
}

/**
 * Nearest-rank percentile: the smallest value with at least p% of the values at or
 * below it. Always one of the observed turnarounds (never an interpolated time nobody
 * waited), which is what a reader comparing with their own counts expects.
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
