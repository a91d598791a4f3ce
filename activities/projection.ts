import { Op, UniqueConstraintError } from 'sequelize';
import type { ProjectionBatch, TicketState } from '../workflows/definitions';
import type { ActivityDeps } from './index';

function ticketRow(ticket: TicketState, workflowId: string) {
  return {
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
            })),
            { ignoreDuplicates: true, transaction },
          );
        }
        const [updated] = await models.Ticket.update(row, {
          where: { number: ticket.number, seq: { [Op.lt]: ticket.version } },
          transaction,
        });
        if (updated > 0) return { applied: true };
        const existing = await models.Ticket.findByPk(ticket.number, { transaction, attributes: ['number'] });
        if (existing) return { applied: false };
        try {
          await models.Ticket.create({ number: ticket.number, ...row }, { transaction });
          return { applied: true };
        } catch (err) {
          if (err instanceof UniqueConstraintError) return { applied: false };
          throw err;
        }
      });
    },
  };
}
