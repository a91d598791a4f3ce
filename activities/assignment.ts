import { Op, QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import type { ChooseAssigneeInput } from '../workflows/definitions';
import type { ActivityDeps } from './index';
import type { ConfigurationWriteOptions } from '../lib/db/config-generation';
import { writeTransactionOptions } from '../lib/db/deadlock';

/** Statuses that count towards an agent's current load. */
const OPEN_WORK = ['assigned', 'in_progress', 'waiting_on_requester', 'waiting_on_vendor'];

export function createAssignmentActivities({ sequelize, models }: ActivityDeps) {
  /** Candidates on shift in the team and still active in the directory, in one statement. */
  async function onShiftCandidates(input: ChooseAssigneeInput, transaction: Transaction): Promise<number[]> {
    if (input.candidateIds.length === 0) return [];
    // A person deactivated in the directory since the ticket started is never chosen again.
    const rows = (await sequelize.query(
      'SELECT m.user_id AS id FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = :team AND m.on_shift = 1 AND u.active = 1 AND m.user_id IN (:candidates)',
      { replacements: { team: input.teamId, candidates: input.candidateIds }, type: QueryTypes.SELECT, transaction },
    )) as Array<{ id: number }>;
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  async function roundRobin(input: ChooseAssigneeInput, candidates: number[], transaction: Transaction): Promise<number> {
    const team = await models.Team.findByPk(input.teamId, { attributes: ['id', 'round_robin_last_user_id'], transaction, lock: transaction.LOCK.UPDATE });
    const last = (team?.get('round_robin_last_user_id') as number | null) ?? 0;
    const next = candidates.find((id) => id > last) ?? candidates[0]!;
    // Not part of the configuration a ticket starts with: moving the pointer keeps the API's cached configuration.
    const keeps: ConfigurationWriteOptions = { keepsConfiguration: true };
    await models.Team.update({ round_robin_last_user_id: next }, { where: { id: input.teamId }, transaction, ...keeps });
    return next;
  }

  async function leastLoaded(candidates: number[], transaction: Transaction): Promise<number> {
    const rows = (await models.Ticket.count({
      where: { assignee_id: { [Op.in]: candidates }, status: { [Op.in]: OPEN_WORK } },
      group: ['assignee_id'],
      transaction,
    })) as unknown as Array<{ assignee_id: number; count: number }>;
    const load = new Map(rows.map((r) => [Number(r.assignee_id), Number(r.count)]));
    // Ties go to the lowest id so the choice is reproducible.
    return candidates.reduce((best, id) => ((load.get(id) ?? 0) < (load.get(best) ?? 0) ? id : best), candidates[0]!);
  }

  return {
    /**
     * Picks an agent on shift. The decision is stored per request (ticket, team, version),
     * so a retry returns the same person instead of advancing the round-robin again, and a
     * ticket transferred to another team is assigned afresh there. A retry finds the stored
     * decision through the key's unique violation, which rolls its own round-robin move back:
     * no read before the transaction, because the first attempt, nearly every attempt, never
     * needs one, and on SQLite such a read queues behind every other statement of the worker
     * while the ticket's first workflow task waits.
     */
    async chooseAssignee(input: ChooseAssigneeInput): Promise<number | null> {
      const key = input.requestKey ?? `${input.ticketNumber}:${input.teamId}:legacy`;
      try {
        return await sequelize.transaction(writeTransactionOptions(sequelize), async (transaction) => {
          const candidates = await onShiftCandidates(input, transaction);
          let chosen: number | null = null;
          if (candidates.length > 0) {
            chosen = input.strategy === 'round_robin' ? await roundRobin(input, candidates, transaction) : await leastLoaded(candidates, transaction);
          }
          await models.AssignmentDecision.create(
            { request_key: key, ticket_number: input.ticketNumber, team_id: input.teamId, user_id: chosen, strategy: input.strategy, decided_at: new Date() },
            { transaction },
          );
          return chosen;
        });
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
        const decided = await models.AssignmentDecision.findByPk(key);
        return (decided?.get('user_id') as number | null) ?? null;
      }
    },
  };
}
