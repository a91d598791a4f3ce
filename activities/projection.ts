import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import type { ProjectionBatch, TicketState } from '../workflows/definitions';
import { dueAt, summarise } from '../workflows/domain/sla-clock';
import type { ActivityDeps } from './index';

function slaColumns(ticket: TicketState) {
  const sla = ticket.sla;
  if (!sla) return { first_response_due: null, resolution_due: null, sla: null };
  const now = new Date(ticket.updatedAt);
  return {
    first_response_due: dueAt(sla, 'first_response'),
    resolution_due: dueAt(sla, 'resolution'),
    sla: { firstResponse: summarise(sla, 'first_response', now), resolution: summarise(sla, 'resolution', now), policyId: sla.policy.id },
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

export function createProjectionActivities({ sequelize, models }: ActivityDeps) {
  /** Shares and open approval tasks mirror the state this row now reflects (only ever called for the newest state). */
  async function replaceDerivedRows(ticket: TicketState, transaction: Transaction): Promise<void> {
    await models.TicketShare.destroy({ where: { ticket_number: ticket.number }, transaction });
    if (ticket.shares?.length) {
      await models.TicketShare.bulkCreate(ticket.shares.map((s) => ({ ticket_number: ticket.number, team_id: s.teamId, access: s.access })), { transaction });
    }
    await models.ApprovalTask.destroy({ where: { ticket_number: ticket.number }, transaction });
    const chain = ticket.approval;
    if (!chain) return;
    const rows = chain.steps.flatMap((step, index) =>
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
    if (rows.length) await models.ApprovalTask.bulkCreate(rows, { transaction });
  }

  return {
    /**
     * Writes a ticket's state and new events to the read tables. Safe to retry and to
     * arrive late: events are keyed by (ticket, seq) and the row only moves forward,
     * so a replayed or out-of-order batch can never roll a ticket back.
     */
    async projectTicket(batch: ProjectionBatch): Promise<{ applied: boolean }> {
      const { ticket } = batch;
      const row = ticketRow(ticket, batch.workflowId);
      return sequelize.transaction(async (transaction) => {
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
        const [updated] = await models.Ticket.update(row, {
          where: { number: ticket.number, seq: { [Op.lt]: ticket.version } },
          transaction,
        });
        if (updated === 0) {
          const existing = await models.Ticket.findByPk(ticket.number, { transaction, attributes: ['number'] });
          if (existing) return { applied: false };
          try {
            await models.Ticket.create({ number: ticket.number, ...row }, { transaction });
          } catch (err) {
            if (err instanceof UniqueConstraintError) return { applied: false };
            throw err;
          }
        }
        await replaceDerivedRows(ticket, transaction);
        return { applied: true };
      });
    },
  };
}
