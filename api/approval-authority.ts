import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * Who may decide which approval now: the one source of truth for delegations, read live.
 *
 * A person may act on a waiting step for an approver when the step's task is theirs
 * (they are the approver, or the approver handed the step to them), or when the approver
 * has not handed it on and a standing delegation from the approver to them is in force
 * today (date range inclusive, read from `delegations` at request time, so a delegation
 * created while a step waits counts at once and a revoked one stops at once).
 *
 * The pending-approvals queue, ticket visibility (api/access.ts) and the approval Updates
 * (which carry the result as `actingFor`, so the workflow decides from it and history
 * records it) all use this one query.
 */
export function actingForSql(userId: number, today: string, columns = 't.ticket_number'): string {
  const user = Number(userId);
  if (!Number.isInteger(user)) throw new Error('actingForSql needs an integer user id');
  // Only our own integers and a checked date reach the SQL; the guards keep it injection-proof anyway.
  const day = /^\d{4}-\d{2}-\d{2}$/.test(today) ? today : '0000-00-00';
  return (
    `SELECT ${columns} FROM approval_tasks t WHERE t.status IN ('pending', 'waiting_info') AND (t.acting_user_id = ${user} OR ` +
    `(t.acting_user_id = t.approver_id AND t.approver_id IN ` +
    `(SELECT d.from_user_id FROM delegations d WHERE d.to_user_id = ${user} AND d.starts_on <= '${day}' AND d.ends_on >= '${day}')))`
  );
}

export interface ActingTask {
  ticketNumber: number;
  step: number;
  stepName: string;
  approverId: number;
  status: string;
  startedAt: Date | string | null;
}

export function todayIso(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The waiting approval tasks this person may decide now, optionally of some tickets only, oldest first. */
export async function actingTasks(sequelize: Sequelize, userId: number, options: { tickets?: number[]; today?: string } = {}): Promise<ActingTask[]> {
  const tickets = options.tickets?.filter((n) => Number.isInteger(n));
  if (tickets && tickets.length === 0) return [];
  const sql =
    actingForSql(userId, options.today ?? todayIso(), 't.ticket_number, t.step, t.step_name, t.approver_id, t.status, t.started_at') +
    (tickets ? ` AND t.ticket_number IN (${tickets.join(',')})` : '') +
    ' ORDER BY t.started_at ASC, t.ticket_number ASC, t.approver_id ASC';
  const rows = await sequelize.query<Record<string, unknown>>(sql, { type: QueryTypes.SELECT });
  return rows.map((r) => ({
    ticketNumber: Number(r.ticket_number),
    step: Number(r.step),
    stepName: String(r.step_name),
    approverId: Number(r.approver_id),
    status: String(r.status),
    startedAt: (r.started_at as Date | string | null) ?? null,
  }));
}

/** For one ticket: the step waiting now and the approvers this person may act for on it (empty when none). */
export async function actingFor(sequelize: Sequelize, userId: number, ticketNumber: number, today?: string): Promise<{ step: number | null; approverIds: number[] }> {
  const tasks = await actingTasks(sequelize, userId, { tickets: [ticketNumber], today });
  // Only the current step's tasks are waiting, so they all name the same step.
  return { step: tasks[0]?.step ?? null, approverIds: [...new Set(tasks.map((t) => t.approverId))] };
}
