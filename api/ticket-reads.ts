import { Op, type Model, type Order, type WhereOptions } from 'sequelize';
import { actingTasks } from './approval-authority';
import type { Models } from '../lib/db/models';
import type { UserProfile } from '../lib/db/organisation';
import type { Priority, TicketStatus } from '../workflows/domain/types';
import { scopedTickets, visibleTickets } from './access';
import type { CustomFieldFilter, FieldSpec } from './custom-fields';
import type { ListTicketsQuery } from './schemas';
import { iso, namesOfOne, summaryOf, type Names } from './ticket-summary';

/** Queries over the read tables only: lists, detail and timeline never ask the workflows. */

// The list row is part of the API's contract with the portal: one definition, in api/contract.
import type { TicketSummary } from './contract/types';
export type { TicketSummary };

const PRIORITY_ORDER = "CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END";
/** A ticket's next SLA due instant: first response while it runs, else resolution (null when no clock runs). */
const NEXT_DUE = 'CASE WHEN first_response_due IS NOT NULL AND (resolution_due IS NULL OR first_response_due < resolution_due) THEN first_response_due ELSE resolution_due END';

const EXPORTED_COLUMNS = ['number', 'title', 'status', 'priority', 'channel', 'category_id', 'department_id', 'team_id', 'assignee_id', 'requester_id', 'sla_breached', 'created_at', 'updated_at', 'resolved_at', 'closed_at'];

/** A read-table row as the database gives it (booleans and dates in the driver's own form). */
interface ExportedTicketRow {
  number: number;
  title: string;
  status: TicketStatus;
  priority: Priority;
  channel: string;
  category_id: number;
  department_id: number;
  team_id: number | null;
  assignee_id: number | null;
  requester_id: number;
  sla_breached: boolean | number;
  created_at: unknown;
  updated_at: unknown;
  resolved_at: unknown;
  closed_at: unknown;
}

export type ExportRow = Pick<TicketSummary, 'number' | 'title' | 'status' | 'priority' | 'channel' | 'categoryName' | 'departmentName' | 'teamName' | 'assigneeName' | 'requesterName' | 'slaBreached' | 'createdAt' | 'updatedAt' | 'resolvedAt' | 'closedAt'>;

export function createTicketReads(models: Models) {
  /** Resolves the names a list shows in one query per table instead of one per row. */
  async function summarise(rows: Model[]): Promise<TicketSummary[]> {
    const ids = (key: string) => [...new Set(rows.map((r) => r.get(key) as number | null).filter((v): v is number => v !== null))];
    const [categories, departments, teams, users] = await Promise.all([
      models.Category.findAll({ where: { id: ids('category_id') }, attributes: ['id', 'name'] }),
      models.Department.findAll({ where: { id: ids('department_id') }, attributes: ['id', 'name'] }),
      models.Team.findAll({ where: { id: ids('team_id') }, attributes: ['id', 'name'] }),
      models.User.findAll({ where: { id: [...ids('assignee_id'), ...ids('requester_id')] }, attributes: ['id', 'name'] }),
    ]);
    const names = (list: Model[]) => new Map(list.map((m) => [m.get('id') as number, m.get('name') as string]));
    const named = { category: names(categories), department: names(departments), team: names(teams), user: names(users) };
    return rows.map((r) => summaryOf(r, named));
  }

  /**
   * An export's names, each read once however many pages mention it: a 100,000-row export
   * names a few hundred people, categories and teams.
   */
  function namesKeptAcrossPages() {
    const tables = { category: models.Category, department: models.Department, team: models.Team, user: models.User };
    const known = { category: new Map<number, string | null>(), department: new Map<number, string | null>(), team: new Map<number, string | null>(), user: new Map<number, string | null>() };
    async function fill(table: keyof typeof tables, ids: Array<number | null>) {
      const missing = [...new Set(ids)].filter((id): id is number => id !== null && !known[table].has(id));
      if (missing.length === 0) return;
      const found = (await tables[table].findAll({ where: { id: missing }, attributes: ['id', 'name'], raw: true })) as unknown as Array<{ id: number; name: string }>;
      for (const id of missing) known[table].set(id, null);
      for (const { id, name } of found) known[table].set(id, name);
    }
    const name = (table: keyof typeof tables, id: number | null) => (id === null ? null : (known[table].get(id) ?? null));
    return {
      async label(rows: ExportedTicketRow[]): Promise<ExportRow[]> {
        await Promise.all([
          fill('category', rows.map((r) => r.category_id)),
          fill('department', rows.map((r) => r.department_id)),
          fill('team', rows.map((r) => r.team_id)),
          fill('user', rows.flatMap((r) => [r.assignee_id, r.requester_id])),
        ]);
        return rows.map((r) => ({
          number: r.number,
          title: r.title,
          status: r.status,
          priority: r.priority,
          channel: r.channel,
          categoryName: name('category', r.category_id),
          departmentName: name('department', r.department_id),
          teamName: name('team', r.team_id),
          assigneeName: name('user', r.assignee_id),
          requesterName: name('user', r.requester_id),
          slaBreached: Boolean(r.sla_breached),
          createdAt: iso(r.created_at)!,
          updatedAt: iso(r.updated_at)!,
          resolvedAt: iso(r.resolved_at),
          closedAt: iso(r.closed_at),
        }));
      },
    };
  }

  /** The ticket's custom values in the category's field order, with labels, and people named. */
  async function labelledFields(fieldSchema: FieldSpec[], values: Record<string, unknown>) {
    const fields = fieldSchema.filter((f) => values[f.key] !== undefined);
    const userIds = fields.filter((f) => f.type === 'user' && typeof values[f.key] === 'number').map((f) => values[f.key] as number);
    const people = new Map((userIds.length ? await models.User.findAll({ where: { id: userIds }, attributes: ['id', 'name'] }) : []).map((u) => [u.get('id') as number, u.get('name') as string]));
    const declared = new Set(fields.map((f) => f.key));
    return [
      ...fields.map((f) => ({ key: f.key, label: f.label, type: f.type, value: values[f.key], ...(f.type === 'user' ? { display: people.get(values[f.key] as number) ?? null } : {}) })),
      // Values of fields the schema has since dropped stay visible under their key.
      ...Object.keys(values)
        .filter((k) => !declared.has(k))
        .map((k) => ({ key: k, label: k, type: 'retired', value: values[k] })),
    ];
  }

  /** One `cf.` filter as SQL. Keys were checked against the declared fields (a-z, 0-9, _), so the JSON path is safe to inline. */
  function customFieldCondition(filter: CustomFieldFilter): WhereOptions {
    const sequelize = models.Ticket.sequelize!;
    const mysql = sequelize.getDialect() === 'mysql' || sequelize.getDialect() === 'mariadb';
    const path = `'$.${filter.key.replace(/[^a-z0-9_]/g, '')}'`;
    if (filter.op === 'contains') {
      // A multi-select holds the option when the option is one of its array's elements.
      const value = sequelize.escape(filter.value);
      return sequelize.literal(
        mysql
          ? `JSON_CONTAINS(custom_fields, JSON_QUOTE(${value}), ${path})`
          : `EXISTS (SELECT 1 FROM json_each(custom_fields, ${path}) WHERE json_each.value = ${value})`,
      ) as unknown as WhereOptions;
    }
    const expr = mysql
      ? typeof filter.value === 'number'
        ? `JSON_EXTRACT(custom_fields, ${path})`
        : `JSON_UNQUOTE(JSON_EXTRACT(custom_fields, ${path}))`
      : `json_extract(custom_fields, ${path})`;
    const op = filter.op === 'gte' ? Op.gte : filter.op === 'lte' ? Op.lte : Op.eq;
    return sequelize.where(sequelize.literal(expr), { [op]: filter.value });
  }

  function listWhere(query: ListTicketsQuery, user: UserProfile): WhereOptions {
    const and: WhereOptions[] = [scopedTickets(user, query.scope)];
    if (query.status) and.push({ status: { [Op.in]: query.status } });
    if (query.priority) and.push({ priority: { [Op.in]: query.priority } });
    if (query.teamId) and.push({ team_id: query.teamId });
    if (query.departmentId) and.push({ department_id: query.departmentId });
    if (query.assigneeId) and.push({ assignee_id: query.assigneeId });
    if (query.createdFrom) and.push({ created_at: { [Op.gte]: new Date(query.createdFrom) } });
    if (query.createdTo) and.push({ created_at: { [Op.lt]: new Date(query.createdTo) } });
    if (query.updatedFrom) and.push({ updated_at: { [Op.gte]: new Date(query.updatedFrom) } });
    if (query.updatedTo) and.push({ updated_at: { [Op.lt]: new Date(query.updatedTo) } });
    for (const filter of query.customFields ?? []) and.push(customFieldCondition(filter));
    if (query.q) {
      // MySQL treats backslash as LIKE's escape character; SQLite has none unless told, so there
      // % and _ in a search stay wildcards (a broader match, never an error).
      const escaped = models.Ticket.sequelize!.getDialect() === 'mysql' ? query.q.replace(/[\\%_]/g, (c) => `\\${c}`) : query.q;
      const pattern = `%${escaped}%`;
      const asNumber = /^#?\d+$/.test(query.q) ? Number(query.q.replace('#', '')) : undefined;
      and.push({
        [Op.or]: [
          { title: { [Op.like]: pattern } },
          { description: { [Op.like]: pattern } },
          ...(asNumber !== undefined ? [{ number: asNumber }] : []),
        ],
      });
    }
    return { [Op.and]: and };
  }

  function order(sort: ListTicketsQuery['sort']): Order {
    switch (sort) {
      case 'updated_asc':
        return [['updated_at', 'ASC'], ['number', 'ASC']];
      case 'created_desc':
        return [['created_at', 'DESC'], ['number', 'DESC']];
      case 'created_asc':
        return [['created_at', 'ASC'], ['number', 'ASC']];
      case 'priority':
        return [[models.Ticket.sequelize!.literal(PRIORITY_ORDER), 'ASC'], ['updated_at', 'DESC']];
      case 'due':
        // Soonest due first; tickets with no clock running last.
        return [
          [models.Ticket.sequelize!.literal(`(${NEXT_DUE}) IS NULL`), 'ASC'],
          [models.Ticket.sequelize!.literal(NEXT_DUE), 'ASC'],
          ['number', 'ASC'],
        ];
      default:
        return [['updated_at', 'DESC'], ['number', 'DESC']];
    }
  }

  return {
    async list(query: ListTicketsQuery, user: UserProfile): Promise<{ items: TicketSummary[]; total: number }> {
      const { rows, count } = await models.Ticket.findAndCountAll({
        where: listWhere(query, user),
        order: order(query.sort),
        limit: query.limit,
        offset: (query.page - 1) * query.limit,
      });
      return { items: await summarise(rows), total: count };
    },

    /**
     * Every ticket matching the list filters, in pages walked by ticket number (keyset,
     * not OFFSET), so exporting 100,000 rows stays flat in memory and time per page.
     */
    async *exportPages(query: Omit<ListTicketsQuery, 'page' | 'limit' | 'sort'>, user: UserProfile, pageSize = 1000): AsyncIterable<ExportRow[]> {
      // Plain rows of the exported columns only: building a model instance of every column
      // (description, custom fields, SLA and approval JSON) was most of an export's time.
      const names = namesKeptAcrossPages();
      let after = 0;
      for (;;) {
        const rows = (await models.Ticket.findAll({
          attributes: EXPORTED_COLUMNS,
          where: { [Op.and]: [listWhere({ ...query, page: 1, limit: pageSize, sort: 'created_asc' }, user), { number: { [Op.gt]: after } }] },
          order: [['number', 'ASC']],
          limit: pageSize,
          raw: true,
        })) as unknown as ExportedTicketRow[];
        if (rows.length === 0) return;
        yield await names.label(rows);
        after = rows[rows.length - 1]!.number;
      }
    },

    /** The ticket if this person may see it; undefined both when it does not exist and when it is not theirs. */
    async visibleRow(number: number, user: UserProfile): Promise<Model | undefined> {
      return (await models.Ticket.findOne({ where: { [Op.and]: [{ number }, visibleTickets(user)] } })) ?? undefined;
    },

    async detail(row: Model) {
      const number = row.get('number') as number;
      const [{ named, fieldSchema }, shares] = await Promise.all([namesOfOne(models, row), models.TicketShare.findAll({ where: { ticket_number: number } })]);
      const customFields = row.get('custom_fields') as Record<string, unknown>;
      return {
        ...summaryOf(row, named),
        description: row.get('description') as string,
        customFields,
        customFieldList: await labelledFields(fieldSchema, customFields),
        workflowId: row.get('workflow_id') as string,
        firstResponseDue: iso(row.get('first_response_due')),
        resolutionDue: iso(row.get('resolution_due')),
        firstResponseAt: iso(row.get('first_response_at')),
        sla: (row.get('sla') as Record<string, unknown> | null) ?? null,
        approval: (row.get('approval') as Record<string, unknown> | null) ?? null,
        shares: shares.map((s) => ({ teamId: s.get('team_id') as number, access: s.get('access') as 'read' | 'write' })),
      };
    },

    async messages(number: number, includeInternal: boolean, page: number, limit: number) {
      const { rows, count } = await models.TicketMessage.findAndCountAll({
        where: { ticket_number: number, ...(includeInternal ? {} : { visibility: 'public' }) },
        order: [['seq', 'ASC']],
        limit,
        offset: (page - 1) * limit,
      });
      const items = rows.map((m) => ({
        seq: m.get('seq') as number,
        authorId: (m.get('author_id') as number | null) ?? null,
        authorName: m.get('author_name') as string,
        visibility: m.get('visibility') as 'public' | 'internal',
        body: m.get('body') as string,
        mentions: m.get('mentions') as number[],
        createdAt: iso(m.get('created_at'))!,
      }));
      return { items, total: count };
    },

    /** The approval steps waiting on this person (directly, or as the delegate of the approver), most urgent first. */
    /** The steps waiting on this person now, in their own right or for someone (live delegations: api/approval-authority.ts). */
    async pendingApprovals(userId: number, today = new Date().toISOString().slice(0, 10)) {
      const tasks = await actingTasks(models.Ticket.sequelize!, userId, { today });
      const tickets = await models.Ticket.findAll({ where: { number: [...new Set(tasks.map((t) => t.ticketNumber))] } });
      const summaries = new Map((await summarise(tickets)).map((t) => [t.number, t]));
      return tasks
        .map((t) => ({
          ticket: summaries.get(t.ticketNumber)!,
          step: t.step,
          stepName: t.stepName,
          approverId: t.approverId,
          onBehalfOf: t.approverId !== userId ? t.approverId : null,
          status: t.status,
          waitingSince: iso(t.startedAt),
        }))
        .filter((t) => t.ticket);
    },

    async events(number: number, page: number, limit: number, includeInternal: boolean) {
      const { rows, count } = await models.TicketEvent.findAndCountAll({
        where: { ticket_number: number, ...(includeInternal ? {} : { visibility: 'public' }) },
        order: [['seq', 'ASC']],
        limit,
        offset: (page - 1) * limit,
      });
      const items = rows.map((e) => {
        const { actorName, ...data } = e.get('data') as Record<string, unknown>;
        return {
          seq: e.get('seq') as number,
          type: e.get('type') as string,
          actorId: (e.get('actor_id') as number | null) ?? null,
          actorName: (actorName as string | undefined) ?? 'System',
          fromStatus: e.get('from_status') as string | null,
          toStatus: e.get('to_status') as string | null,
          data,
          occurredAt: iso(e.get('occurred_at'))!,
          visibility: (e.get('visibility') as string) ?? 'public',
        };
      });
      return { items, total: count };
    },
  };
}

export type TicketReads = ReturnType<typeof createTicketReads>;
