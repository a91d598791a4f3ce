import { Op, type Model, type ModelStatic, type Transaction } from 'sequelize';
import { withDeadlockRetry, writeTransactionOptions } from '../lib/db/deadlock';
import type { ProjectionBatch, TicketState } from '../workflows/definitions';
import { clockSpentMs, dueAt, summarise } from '../workflows/domain/sla-clock';
import type { ActivityDeps } from './index';

function slaColumns(ticket: TicketState) {
  const sla = ticket.sla;
  if (!sla) return { first_response_due: null, resolution_due: null, sla: null, sla_policy_id: null, sla_policy_version: null, sla_calendar_id: null, sla_calendar_version: null };
  const now = new Date(ticket.updatedAt);
  const calendar = sla.calendar as { id?: number; name?: string; version?: number };
  return {
    first_response_due: dueAt(sla, 'first_response'),
    resolution_due: dueAt(sla, 'resolution'),
    sla: {
      // Exact spent time beside the rounded summary: the apply-to-open preview rebuilds the clocks from it.
      firstResponse: { ...summarise(sla, 'first_response', now), spentMs: clockSpentMs(sla, 'first_response', now) },
      resolution: { ...summarise(sla, 'resolution', now), spentMs: clockSpentMs(sla, 'resolution', now) },
      policyId: sla.policy.id,
      policyVersion: sla.policy.version,
      calendarId: calendar.id ?? null,
      calendarName: calendar.name ?? null,
      calendarVersion: calendar.version ?? null,
    },
    sla_policy_id: sla.policy.id,
    sla_policy_version: sla.policy.version,
    sla_calendar_id: calendar.id ?? null,
    sla_calendar_version: calendar.version ?? null,
  };
}

function ticketRow(ticket: TicketState, workflowId: string) {
  const sla = slaColumns(ticket);
  return {
    ...sla,
    sla_breached: Boolean(ticket.sla && (ticket.sla.firstResponse.breachedAt !== null || ticket.sla.resolution.breachedAt !== null)),
    first_response_breached: Boolean(ticket.sla && ticket.sla.firstResponse.breachedAt !== null),
    resolution_breached: Boolean(ticket.sla && ticket.sla.resolution.breachedAt !== null),
    first_response_at: ticket.firstResponseAt ? new Date(ticket.firstResponseAt) : null,
    approval: ticket.approval ?? null,
    workflow_id: workflowId,
    title: ticket.title,
    description: ticket.description,
    status: ticket.status,
    priority: ticket.priority,
    channel: ticket.channel,
    category_id: ticket.categoryId,
    department_id: ticket.departmentId,
    team_id: ticket.teamId,
    assignee_id: ticket.assigneeId,
    requester_id: ticket.requesterId,
    custom_fields: ticket.customFields,
    seq: ticket.version,
    created_at: new Date(ticket.createdAt),
    updated_at: new Date(ticket.updatedAt),
    resolved_at: ticket.resolvedAt ? new Date(ticket.resolvedAt) : null,
    closed_at: ticket.closedAt ? new Date(ticket.closedAt) : null,
  };
}

type Row = Record<string, unknown>;

export function createProjectionActivities({ sequelize, models, logger }: ActivityDeps) {
  // READ COMMITTED: InnoDB then takes no gap locks for searches, only locks on the rows it
  // writes. Under the default REPEATABLE READ, a lookup of a ticket that does not exist yet
  // (the UPDATE of a first projection, the DELETE of its share and task rows) locks the gap
  // at the end of the index, which every other new ticket also locks and then inserts into:
  // the deadlock CI hit during imports. A projection reads nothing it relies on besides the
  // rows it locks, so the weaker isolation loses nothing. On SQLite the write transactions of
  // a process queue in lib/db/connection.ts rather than wait on the file lock each.
  const transactionOptions = writeTransactionOptions(sequelize);
  const insertsFirst = sequelize.getDialect() === 'sqlite';

  /** INSERT IGNORE of one row; true when this statement inserted it (false: the key was there). */
  async function insertIfAbsent(model: ModelStatic<Model>, values: Row, transaction: Transaction): Promise<boolean> {
    const instance = model.build(values);
    const table = model.getTableName() as string;
    const [, affected] = (await sequelize.getQueryInterface().insert(instance, table, { ...instance.dataValues }, { transaction, ignoreDuplicates: true } as object)) as unknown as [unknown, number];
    return affected === 1;
  }

  /**
   * Makes a ticket's child rows (keyed by `keyOf`) equal `wanted`: rows that went are deleted
   * by their full primary key, the rest written with INSERT … ON DUPLICATE KEY UPDATE. No
   * "delete everything for this ticket, insert again": that range delete is what locks gaps.
   */
  async function mirror(model: ModelStatic<Model>, ticketNumber: number, wanted: Row[], keys: string[], fresh: boolean, transaction: Transaction) {
    const keyOf = (r: Row) => keys.map((k) => String(r[k])).join('/');
    if (!fresh) {
      const want = new Set(wanted.map(keyOf));
      const existing = await model.findAll({ where: { ticket_number: ticketNumber }, attributes: keys, raw: true, transaction });
      const gone = (existing as unknown as Row[]).filter((r) => !want.has(keyOf(r)));
      if (gone.length > 0) {
        await model.destroy({ where: { ticket_number: ticketNumber, [Op.or]: gone.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]]))) }, transaction });
      }
    }
    if (wanted.length === 0) return;
    const updateOnDuplicate = Object.keys(wanted[0]!).filter((k) => !keys.includes(k));
    await model.bulkCreate(wanted, updateOnDuplicate.length > 0 ? { updateOnDuplicate, transaction } : { ignoreDuplicates: true, transaction });
  }

  /** Shares and open approval tasks mirror the state this row now reflects (only ever called for the newest state). */
  async function mirrorDerivedRows(ticket: TicketState, fresh: boolean, transaction: Transaction): Promise<void> {
    const shares = (ticket.shares ?? []).map((s) => ({ ticket_number: ticket.number, team_id: s.teamId, access: s.access }));
    await mirror(models.TicketShare, ticket.number, shares, ['ticket_number', 'team_id'], fresh, transaction);
    const chain = ticket.approval;
    const tasks = !chain
      ? []
      : chain.steps.flatMap((step, index) =>
          step.approverIds.map((approverId) => {
            const decision = step.decisions.find((d) => d.approverId === approverId);
            const open = chain.outcome === 'pending' && index === chain.current && ticket.status === 'pending_approval';
            return {
              ticket_number: ticket.number,
              step: index,
              approver_id: approverId,
              acting_user_id: step.delegatedTo[approverId] ?? approverId,
              step_name: step.name,
              status: decision ? decision.decision : open ? (chain.infoRequest ? 'waiting_info' : 'pending') : index < chain.current ? 'not_needed' : 'queued',
              started_at: step.startedAt ? new Date(step.startedAt) : null,
              decided_at: decision ? new Date(decision.at) : null,
              decided_by: decision ? decision.actedBy : null,
            };
          }),
        );
    await mirror(models.ApprovalTask, ticket.number, tasks, ['ticket_number', 'step', 'approver_id'], fresh, transaction);
  }

  /**
   * One projection, one transaction, always in the same lock order: the ticket row first
   * (so two projections of one ticket queue on it), then its events and messages, then its
   * shares and approval tasks. Every statement addresses rows by primary key; nothing scans
   * a range under a lock.
   */
  function projectOnce(batch: ProjectionBatch): Promise<{ applied: boolean }> {
    const { ticket } = batch;
    const row = ticketRow(ticket, batch.workflowId);
    return sequelize.transaction(transactionOptions, async (transaction) => {
      // Update first, by primary key: an existing row is locked exclusively at once (an
      // INSERT IGNORE first would take a shared lock that two retries of one batch then
      // both try to upgrade: a deadlock). Only a row that is not there yet is inserted.
      // On SQLite, whose writers take turns and hold no row locks to deadlock on, a ticket's
      // first projection (the batch holding its creation) inserts first: its row is almost
      // never there yet, so that is one statement instead of an update matching nothing and
      // then the insert. Only a retry finds the row; it then updates it as any projection does.
      const creation = insertsFirst && batch.events.some((e) => e.type === 'created');
      let inserted = creation && (await insertIfAbsent(models.Ticket, { number: ticket.number, ...row }, transaction));
      let updated = 0;
      if (!inserted) {
        [updated] = await models.Ticket.update(row, { where: { number: ticket.number, seq: { [Op.lt]: ticket.version } }, transaction });
        if (!creation && updated === 0) inserted = await insertIfAbsent(models.Ticket, { number: ticket.number, ...row }, transaction);
      }
      const applied = updated > 0 || inserted;
      if (batch.events.length > 0) {
        await models.TicketEvent.bulkCreate(
          batch.events.map((e) => ({
            ticket_number: ticket.number,
            seq: e.seq,
            type: e.type,
            actor_id: e.actorId,
            from_status: e.fromStatus,
            to_status: e.toStatus,
            data: { ...e.data, actorName: e.actorName },
            occurred_at: new Date(e.occurredAt),
            visibility: e.visibility ?? 'public',
          })),
          { ignoreDuplicates: true, transaction },
        );
        const messages = batch.events.filter((e) => e.type === 'public_reply' || e.type === 'internal_note');
        if (messages.length > 0) {
          await models.TicketMessage.bulkCreate(
            messages.map((e) => ({
              ticket_number: ticket.number,
              seq: e.seq,
              author_id: e.actorId,
              author_name: e.actorName,
              visibility: e.visibility,
              body: String(e.data.body ?? ''),
              mentions: (e.data.mentions as number[] | undefined) ?? [],
              created_at: new Date(e.occurredAt),
            })),
            { ignoreDuplicates: true, transaction },
          );
        }
      }
      if (applied) await mirrorDerivedRows(ticket, inserted, transaction);
      return { applied };
    });
  }

  return {
    /**
     * Writes a ticket's state and new events to the read tables. Safe to retry and to
     * arrive late: events are keyed by (ticket, seq) and the row only moves forward,
     * so a replayed or out-of-order batch can never roll a ticket back. A deadlock that
     * still happens (another writer on the same tables) is retried here before it ever
     * becomes an activity failure.
     */
    async projectTicket(batch: ProjectionBatch): Promise<{ applied: boolean }> {
      return withDeadlockRetry(() => projectOnce(batch), { logger, what: 'projectTicket', context: { ticket: batch.ticket.number, version: batch.ticket.version } });
    },
  };
}
