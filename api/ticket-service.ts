import crypto from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { UniqueConstraintError, type Model } from 'sequelize';
import type { Config } from '../lib/config';
import type { Models } from '../lib/db/models';
import { createConfigSnapshots } from '../lib/db/config-snapshot';
import { requesterProfile, type Organisation, type UserProfile } from '../lib/db/organisation';
import { ApprovalConfigError, type ApprovalRule, type ChainState } from '../workflows/domain/approvals';
import {
  approveUpdate,
  awaitCreatedUpdate,
  delegateUpdate,
  editCustomFieldsUpdate,
  lifecycleUpdates,
  rejectUpdate,
  replyUpdate,
  requestInfoUpdate,
  slaExplanationQuery,
  stateQuery,
  TICKET_WORKFLOW_TYPE,
  ticketWorkflowId,
  type TicketView,
  type TicketWorkflowInput,
} from '../workflows/definitions';
import { explainSla, type SlaExplanation, type SlaStep } from '../workflows/domain/sla-explain';
import { allowedActions, type LifecycleAction } from '../workflows/domain/status-machine';
import { TERMINAL_STATUSES, type Channel, type TicketStatus } from '../workflows/domain/types';
import { TicketDepartmentKey, TicketPriorityKey, TicketStatusKey } from '../workflows/search-attributes';
import type { ticketWorkflow } from '../workflows/ticket';
import { actorOf } from './auth';
import { userFieldErrors, userIdsIn, validateCustomFieldChanges, validateCustomFields, type FieldSpec } from './custom-fields';
import { createBoundedCalls, updateIdOf, type KeyedChange } from './bounded-temporal';
import { ApiError, notFound, validationError } from './errors';
import { seesInternal, teamIdsOf } from './access';
import { actingFor } from './approval-authority';
import { mentionedUserIds } from './mentions';
import type { ActionBody, ApprovalBody, CreateTicketBody, CustomFieldsBody, MessageBody } from './schemas';
import type { TicketReads } from './ticket-reads';

export interface TicketServiceDeps {
  client: Client;
  models: Models;
  organisation: Organisation;
  reads: TicketReads;
  temporal: Config['temporal'];
}

function requestHash(body: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * The ticket's priority as its Temporal task priority (1 is served first, the server's default
 * is 3): when the worker is busy, a critical ticket's workflow and activity tasks go before a
 * low one's. Imported rows go one step behind tickets people are creating now, so a bulk
 * import never queues ahead of them.
 */
const TASK_PRIORITY = { critical: 1, high: 2, medium: 3, low: 4 } as const;
export function taskPriorityKey(priority: keyof typeof TASK_PRIORITY, channel: Channel): number {
  return TASK_PRIORITY[priority] + (channel === 'import' ? 1 : 0);
}

/** Fits Temporal UI's 200-byte summary limit without splitting a multi-byte character. */
function summaryOf(number: number, title: string): string {
  let summary = `#${number} ${title}`;
  while (Buffer.byteLength(summary) > 200) summary = summary.slice(0, -1);
  return summary;
}

/** The ticket use cases behind the routes: start workflows, send them updates, read the read tables. */
export function createTicketService({ client, models, organisation, reads, temporal }: TicketServiceDeps) {
  const snapshots = createConfigSnapshots(models);
  const timeoutMs = temporal.requestTimeoutMs ?? 10_000;

  const { bounded, confirmed, update } = createBoundedCalls(client, timeoutMs);

  async function workflowRunning(number: number): Promise<boolean> {
    try {
      const description = await bounded(undefined, () => client.workflow.getHandle(ticketWorkflowId(number)).describe());
      return description.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Allocates the ticket number for this idempotency key, or finds the one an earlier attempt got. */
  async function allocateNumber(user: UserProfile, key: string, hash: string): Promise<{ number: number; replayed: boolean }> {
    const find = () => models.TicketRequest.findOne({ where: { requester_id: user.id, idempotency_key: key } });
    const existing = await find();
    const match = (row: { get(k: string): unknown }) => {
      if (row.get('request_hash') !== hash) {
        throw new ApiError(409, 'IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was already used with a different request body', [
          { field: 'Idempotency-Key', message: 'was used for a different request' },
        ]);
      }
      return { number: row.get('id') as number, replayed: true };
    };
    if (existing) return match(existing);
    try {
      const created = await models.TicketRequest.create({ requester_id: user.id, idempotency_key: key, request_hash: hash });
      return { number: created.get('id') as number, replayed: false };
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
      const raced = await find();
      if (!raced) throw err;
      return match(raced);
    }
  }

  async function detailFor(number: number, user: UserProfile) {
    const row = await reads.visibleRow(number, user);
    if (!row) throw notFound('Ticket');
    return detailOf(row, user);
  }

  /** After a change: the detail when the caller can still see the ticket, else a bare confirmation (no second lookup). */
  async function afterChange(number: number, user: UserProfile, view: { status: string; version: number; teamId?: number | null }) {
    const row = await reads.visibleRow(number, user);
    if (row) return detailOf(row, user);
    // Transferred away, or decided by a delegate who no longer sees it: confirm without showing more.
    return { number, status: view.status, teamId: view.teamId ?? null, version: view.version, visibleToYou: false };
  }

  async function detailOf(row: Model, user: UserProfile) {
    const detail = await reads.detail(row);
    const facts = {
      status: detail.status,
      requesterId: detail.requesterId,
      teamId: detail.teamId,
      assigneeId: detail.assigneeId,
      teamMemberIds: [],
      sharedTeamIds: detail.shares.map((s) => s.teamId),
    };
    const internal = seesInternal(user, { teamId: detail.teamId, sharedTeamIds: facts.sharedTeamIds });
    // Mirrors the workflow's rule for writing as staff (TicketEntity.isStaff 'write'), which remains
    // the authority: a team the ticket is shared with read-only reads its notes but writes nothing.
    const writesAsStaff =
      user.roles.includes('admin') ||
      (detail.teamId !== null && teamIdsOf(user).includes(detail.teamId)) ||
      detail.shares.some((s) => s.access === 'write' && teamIdsOf(user).includes(s.teamId));
    const chain = detail.approval as ChainState | null;
    // The same live rule the approval Updates carry (api/approval-authority.ts): standing delegates get the buttons too.
    const mayDecide =
      detail.status === 'pending_approval' && chain !== null && user.id !== detail.requesterId && (await actingFor(models.Ticket.sequelize!, user.id, detail.number)).approverIds.length > 0;
    const approverIds = chain ? [...new Set(chain.steps.flatMap((step) => [...step.approverIds, ...Object.values(step.delegatedTo), ...step.decisions.map((d) => d.actedBy)]))] : [];
    const approvalNames = Object.fromEntries(await organisation.activeNames(approverIds));
    return {
      ...detail,
      approvalNames,
      allowedActions: TERMINAL_STATUSES.includes(detail.status) ? [] : allowedActions(facts, actorOf(user)),
      // A question already asked waits for its answer; the workflow refuses a second one.
      approvalActions: mayDecide ? ['approve', 'reject', ...(chain.infoRequest ? [] : ['request_info']), 'delegate'] : [],
      canReply: !TERMINAL_STATUSES.includes(detail.status) && (user.id === detail.requesterId || writesAsStaff),
      canWriteInternal: !TERMINAL_STATUSES.includes(detail.status) && writesAsStaff,
      // Mirrors the workflow's rule (workflows/ticket-custom-fields.ts), which remains the authority.
      canEditCustomFields:
        !TERMINAL_STATUSES.includes(detail.status) && (writesAsStaff || (user.id === detail.requesterId && !chain && ['new', 'waiting_on_requester'].includes(detail.status))),
      seesInternal: internal,
    };
  }

  /**
   * The ticket's workflow, for a change the caller may try; or, when the ticket has ended and this
   * very change (the same action, key and request) was what ended it or came before, the
   * answer that change got: a repeated click on cancel, close or reject answers as the first did.
   */
  async function writableRow(user: UserProfile, number: number, change: KeyedChange): Promise<{ handle: WorkflowHandle; answered?: TicketView }> {
    const row = await reads.visibleRow(number, user);
    if (!row) throw notFound('Ticket');
    const status = row.get('status') as TicketStatus;
    const handle = client.workflow.getHandle(ticketWorkflowId(number));
    // A terminal ticket's workflow has completed and takes no updates; answer as the validator would.
    if (TERMINAL_STATUSES.includes(status)) {
      const answered = change.key && (await bounded(change.key, () => handle.getUpdateHandle<TicketView>(updateIdOf(change)).result()).catch(() => undefined));
      if (answered) return { handle, answered };
      throw new ApiError(409, 'ILLEGAL_TRANSITION', `The ticket is ${status}; no further actions are possible`);
    }
    return { handle };
  }

  /** Values naming people must name active ones. */
  async function checkUserFields(fields: FieldSpec[], values: Record<string, unknown>) {
    const ids = userIdsIn(fields, values);
    if (ids.length === 0) return;
    const active = new Set((await organisation.activeNames(ids)).keys());
    const errors = userFieldErrors(fields, values, active);
    if (errors.length > 0) throw validationError(errors);
  }

  /** `channel` says where the ticket came from: the portal, an email, or a CSV import acting for the requester in the row. */
  async function open(user: UserProfile, body: CreateTicketBody, idempotencyKey: string | undefined, channel: Channel = 'portal'): Promise<{ number: number; replayed: boolean }> {
    const configuration = await snapshots.current();
    const category = configuration.category(body.categoryId);
    if (!category) throw validationError([{ field: 'categoryId', message: 'is not an active category' }]);
    const { errors, cleaned } = validateCustomFields(category.fields, body.customFields);
    if (errors.length > 0) throw validationError(errors);
    await checkUserFields(category.fields, cleaned);
    let config;
    try {
      config = await configuration.snapshot({ categoryId: category.id, requesterId: user.id, customFields: cleaned, today: new Date().toISOString().slice(0, 10) });
    } catch (err) {
      if (err instanceof ApprovalConfigError) throw validationError([{ field: err.field, message: err.message }]);
      throw err;
    }
    // Cannot happen since the same reading found the category above; kept as the snapshot's type allows it.
    if (!config) throw validationError([{ field: 'categoryId', message: 'is not an active category' }]);

    const key = idempotencyKey ?? crypto.randomUUID();
    const { number, replayed } = await allocateNumber(user, key, requestHash({ ...body, customFields: cleaned }));
    const input: TicketWorkflowInput = {
      number,
      draft: { ...body, customFields: cleaned, channel },
      requester: requesterProfile(user),
      config,
    };
    // A row alone does not prove the first attempt got through: a worker killed mid-task has
    // projected a ticket its workflow never recorded opening. Only a ticket whose workflow no
    // longer runs (closed, or ended by an operator) is answered from its row; a running one is
    // asked again below, and answers once it has opened.
    const replayedRow = replayed ? await models.Ticket.findByPk(number, { attributes: ['status'] }) : null;
    if (replayedRow && (TERMINAL_STATUSES.includes(replayedRow.get('status') as TicketStatus) || !(await workflowRunning(number)))) {
      return { number, replayed };
    }
    const workflowId = ticketWorkflowId(number);
    // Update-with-start: one round trip starts the workflow (or finds it, for a retried
    // key) and answers once the ticket is routed and visible in the read tables.
    // A fresh operation per call: one is spent by its first use, and a call refused while the
    // workflow is not ready is sent again.
    const startOperation = () => new WithStartWorkflowOperation<typeof ticketWorkflow>(TICKET_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      priority: { priorityKey: taskPriorityKey(body.priority, channel) },
      staticSummary: summaryOf(number, body.title),
      staticDetails: `Requested by ${user.name} <${user.email}> in category ${category.name}.`,
      typedSearchAttributes: [
        { key: TicketStatusKey, value: 'new' },
        { key: TicketPriorityKey, value: body.priority },
        { key: TicketDepartmentKey, value: config.category.departmentCode },
      ],
    });
    // A retry with the same key finds the started workflow (USE_EXISTING) and waits on it again.
    try {
      await confirmed(idempotencyKey, () => client.workflow.executeUpdateWithStart(awaitCreatedUpdate, { startWorkflowOperation: startOperation() }));
    } catch (err) {
      // Closed between the row's read and the call: the ticket exists and its row is final.
      if (!(replayed && err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // …unless it closed before it was ever projected (ended by an operator): there is no ticket to name.
      if (!(await models.Ticket.findByPk(number, { attributes: ['number'] }))) throw notFound('Ticket');
    }
    return { number, replayed };
  }

  const approvalUpdates = { approve: approveUpdate, reject: rejectUpdate, request_info: requestInfoUpdate, delegate: delegateUpdate } as const;

  return {
    detailFor,

    async reply(user: UserProfile, number: number, body: MessageBody, updateId: string | undefined) {
      const change = { prefix: `reply:${user.id}`, key: updateId, request: body };
      const { handle, answered } = await writableRow(user, number, change);
      if (answered) return afterChange(number, user, answered);
      const mentions = await mentionedUserIds({ models, organisation }, number, body.body, body.visibility);
      const view = await update(handle, replyUpdate, { actor: actorOf(user), body: body.body, visibility: body.visibility, mentions }, change);
      return afterChange(number, user, view);
    },

    async decideApproval(user: UserProfile, number: number, decision: keyof typeof approvalUpdates, body: ApprovalBody, updateId: string | undefined) {
      // Who the caller may act for is read live now and travels with the Update, so the workflow
      // (and its history) decides from today's delegations, not those of the day the ticket
      // started. Read beside the ticket's row: nothing of it is answered unless the row is visible.
      const change = { prefix: `${decision}:${user.id}`, key: updateId, request: body };
      const [{ handle, answered }, authority] = await Promise.all([writableRow(user, number, change), actingFor(models.Ticket.sequelize!, user.id, number)]);
      if (answered) return afterChange(number, user, answered);
      if (decision === 'delegate' && body.toUserId !== undefined && !(await organisation.activeNames([body.toUserId])).has(body.toUserId)) {
        throw validationError([{ field: 'toUserId', message: 'is not an active person in the directory' }]);
      }
      const view = await update(handle, approvalUpdates[decision], { actor: actorOf(user), ...body, actingFor: authority.approverIds }, change);
      return afterChange(number, user, view);
    },

    /** Creates the ticket and answers its detail, as the caller sees it (the portal's and the API's create). */
    async create(user: UserProfile, body: CreateTicketBody, idempotencyKey: string | undefined, channel: Channel = 'portal') {
      const { number, replayed } = await open(user, body, idempotencyKey, channel);
      return { ticket: await detailFor(number, user), replayed };
    },

    /** Creates the ticket and answers its number only: for imports and inbound email, which read nothing more. */
    open,

    async act(user: UserProfile, number: number, action: LifecycleAction, body: ActionBody, updateId: string | undefined) {
      // A repeated click with the same key is answered from the first attempt.
      const change = { prefix: `${action}:${user.id}`, key: updateId, request: body };
      const { handle, answered } = await writableRow(user, number, change);
      if (answered) return afterChange(number, user, answered);
      const { expectedVersion, ...input } = body;
      const view = await update(handle, lifecycleUpdates[action], { actor: actorOf(user), input, expectedVersion }, change);
      return afterChange(number, user, view);
    },

    /**
     * Edits custom fields through the workflow (an Update), so the timeline records the
     * change and the read tables follow. Values are checked against the category's current
     * schema here; who may edit, and the version, are the workflow's to decide.
     */
    async editCustomFields(user: UserProfile, number: number, body: CustomFieldsBody, updateId: string | undefined) {
      const change = { prefix: `custom-fields:${user.id}`, key: updateId, request: body };
      const { handle, answered } = await writableRow(user, number, change);
      if (answered) return afterChange(number, user, answered);
      const row = (await reads.visibleRow(number, user))!;
      const category = await models.Category.findByPk(row.get('category_id') as number);
      const fields = (category?.get('field_schema') as FieldSpec[] | null) ?? [];
      const { errors, cleaned } = validateCustomFieldChanges(fields, body.customFields);
      if (errors.length > 0) throw validationError(errors);
      await checkUserFields(fields, cleaned);
      // The approval chain was chosen from this value when the ticket started (no chain at
      // all is a choice too: under the threshold); changing it afterwards would leave the
      // ticket approved, or unapproved, for a request it no longer is.
      const rule = (category?.get('approval_rule') as ApprovalRule | null) ?? null;
      if (rule?.kind === 'conditional' && rule.field in cleaned) {
        throw new ApiError(409, 'APPROVAL_FIELD_LOCKED', `${rule.field} chose this ticket's approval chain; it cannot change after submission`, [
          { field: `customFields.${rule.field}`, message: 'decides the approval chain and cannot change' },
        ]);
      }
      const view = await update(handle, editCustomFieldsUpdate, { actor: actorOf(user), changes: cleaned, expectedVersion: body.expectedVersion }, change);
      return afterChange(number, user, view);
    },

    /**
     * Why the ticket's deadlines are where they are: the workflow's own explanation, live to
     * this minute; when the workflow cannot answer in time, the steps recorded in the read
     * model's events, up to the last change.
     */
    async slaExplanation(user: UserProfile, number: number): Promise<{ source: 'live' | 'recorded'; explanation: SlaExplanation | null }> {
      const row = await reads.visibleRow(number, user);
      if (!row) throw notFound('Ticket');
      try {
        const explanation = await bounded(undefined, () => client.workflow.getHandle(ticketWorkflowId(number)).query(slaExplanationQuery));
        return { source: 'live', explanation };
      } catch {
        const events = await models.TicketEvent.findAll({ where: { ticket_number: number, type: ['sla_started', 'sla_recomputed'] }, order: [['seq', 'ASC']] });
        const steps = events.map((e) => (e.get('data') as { step?: SlaStep }).step).filter((s): s is SlaStep => s !== undefined);
        const last = steps[steps.length - 1];
        return { source: 'recorded', explanation: last ? explainSla(steps, last) : null };
      }
    },

    async live(user: UserProfile, number: number): Promise<TicketView & { runId: string | undefined }> {
      const row = await reads.visibleRow(number, user);
      if (!row) throw notFound('Ticket');
      const handle = client.workflow.getHandle(ticketWorkflowId(number));
      const [view, description] = await bounded(undefined, () => Promise.all([handle.query(stateQuery), handle.describe()])).catch((err: unknown) => {
        // A query changes nothing; the 503 only needs to say the live state is unavailable.
        if (err instanceof ApiError && err.code === 'NOT_CONFIRMED') throw new ApiError(503, 'UNAVAILABLE', `The live state of ticket #${number} could not be read within ${timeoutMs / 1000} s (no worker may be running); the ticket page shows the last projected state`);
        throw err;
      });
      const internal = seesInternal(user, { teamId: view.teamId, sharedTeamIds: (view.shares ?? []).map((s) => s.teamId) });
      // Internal notes never reach a requester, not even through the live view.
      return { ...view, recentEvents: internal ? view.recentEvents : view.recentEvents.filter((e) => e.visibility !== 'internal'), runId: description.runId };
    },
  };
}

export type TicketService = ReturnType<typeof createTicketService>;
