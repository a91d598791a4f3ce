import { z } from 'zod';
import { CalendarBody } from './admin/calendars';
import { NotificationTemplateBody } from './admin/notification-templates';
import { ApprovalRuleBody, CategoryCreateBody, CategoryEditBody, FieldSchemaEditBody } from './admin/categories';
import { DepartmentCreateBody, DepartmentEditBody } from './admin/departments';
import { RoutingOrderBody, RoutingRuleCreateBody, RoutingRuleEditBody } from './admin/routing-rules';
import { SlaPolicyBody } from './admin/sla-policies';
import { WhatIfBody, WhatIfQuery } from './admin/sla-what-if';
import { MemberBody, TeamCreateBody, TeamEditBody } from './admin/teams';
import { VersionQuery } from './admin/versioned';
import { CategoryListQuery } from './routes/admin-config';
import { ImportErrorsQuery, ImportUploadQuery } from './routes/imports';
import { NotificationListQuery } from './routes/notifications';
import { UploadFields } from './routes/attachments';
import { PostmarkInbound } from './inbound/postmark';
import { PeopleQuery as PeopleAdminQuery, PersonEditBody } from './admin/people';
import { PeopleQuery } from './routes/directory';
import { ReportQuery } from './routes/reports';
import { ActionBody, ApprovalBody, BulkActionBody, BulkApproveBody, CreateTicketBody, CustomFieldsBody, DelegationBody, ListTicketsQuery, MessageBody, PageQuery, SavedFilterBody } from './schemas';
import { MentionableQuery, WatchBody } from './routes/watchers';

/**
 * The OpenAPI 3.1 document, built from the very zod schemas the handlers validate with
 * (zod 4 emits JSON Schema 2020-12, the dialect OpenAPI 3.1 uses). A test compares these
 * operations with the routes Express actually serves, so the two cannot drift apart.
 */
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  public?: boolean;
  query?: z.ZodType;
  body?: z.ZodType;
  idempotent?: boolean;
  csv?: boolean;
  /** Well-formed input whose content is refused (422), described. */
  unprocessable?: string;
  /** A multipart/form-data body: files under `file` plus these text fields. */
  multipart?: z.ZodObject;
  /** Answers raw bytes (a download) instead of the JSON envelope. */
  binary?: boolean;
  /** Why a public operation is still protected (e.g. a webhook's own basic auth). */
  security?: string;
  /** Answers a server-sent event stream (`text/event-stream`) that stays open. */
  eventStream?: boolean;
  /** Answers newline-delimited JSON, streamed (or CSV with `format=csv`). */
  ndjson?: boolean;
  /** The request body is a CSV file (raw `text/csv`), not JSON. */
  csvBody?: boolean;
  /** The success status when it is not 200. */
  status?: '201' | '202';
  /** A repeat answers 200 with the first result (an idempotent create, an existing watch). */
  alsoOk?: boolean;
}

// Entity names and ids are identifiers: control bytes (a NUL made the database driver throw, found by fuzzing) get a 400.
const AuditQuery = PageQuery.extend({ entity: z.string().max(48).regex(/^[\w.:@-]*$/, 'letters, digits and _ . : @ - only').optional(), entityId: z.string().max(64).regex(/^[\w.:@-]*$/, 'letters, digits and _ . : @ - only').optional() });

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/health', summary: 'Liveness and database check', tag: 'system', public: true },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'system', public: true },
  { method: 'get', path: '/me', summary: 'The signed-in person: roles, department, teams', tag: 'directory' },
  { method: 'get', path: '/catalog', summary: 'Categories with custom-field schemas, and priorities', tag: 'directory' },
  { method: 'get', path: '/people', summary: 'Find colleagues by name or email (pickers: delegate, watch, mention)', tag: 'directory', query: PeopleQuery },
  { method: 'get', path: '/live', summary: 'Server-sent events: `ticket` when a visible ticket changes, `notification` for the caller; Last-Event-ID catches up', tag: 'live', eventStream: true },
  { method: 'get', path: '/teams', summary: 'Teams (for transfer and share)', tag: 'directory' },
  { method: 'get', path: '/teams/{id}/members', summary: 'Members of a team (staff only)', tag: 'directory' },
  { method: 'post', path: '/tickets', summary: 'Raise a ticket (starts its workflow)', tag: 'tickets', body: CreateTicketBody, idempotent: true, status: '201', alsoOk: true },
  {
    method: 'get',
    path: '/tickets',
    summary:
      'Tickets the caller may see, filtered and paginated; `cf.<key>=value` filters a declared custom field (a multi-select: holds that option), `cf.<key>.min` / `cf.<key>.max` bound number, money and date fields',
    tag: 'tickets',
    query: ListTicketsQuery,
  },
  { method: 'get', path: '/tickets/export', summary: 'The filtered list as CSV (streamed)', tag: 'tickets', query: ListTicketsQuery, csv: true },
  { method: 'get', path: '/tickets/{number}', summary: 'A ticket from the read model, with what the caller may do', tag: 'tickets' },
  { method: 'get', path: '/tickets/{number}/events', summary: 'Timeline', tag: 'tickets', query: PageQuery },
  { method: 'get', path: '/tickets/{number}/live', summary: "The workflow's live state (Query)", tag: 'tickets' },
  { method: 'get', path: '/tickets/{number}/messages', summary: 'Conversation (internal notes only for staff)', tag: 'tickets', query: PageQuery },
  { method: 'post', path: '/tickets/{number}/messages', summary: 'Public reply or internal note', tag: 'tickets', body: MessageBody, idempotent: true, status: '201' },
  { method: 'post', path: '/tickets/{number}/actions/{action}', summary: 'A lifecycle action (Update with validator)', tag: 'tickets', body: ActionBody, idempotent: true },
  {
    method: 'patch',
    path: '/tickets/{number}/custom-fields',
    summary: "Edit custom fields (staff who may write the ticket; the requester until it is triaged); checked against the category's schema, recorded on the timeline",
    tag: 'tickets',
    body: CustomFieldsBody,
    idempotent: true,
  },
  { method: 'post', path: '/tickets/{number}/approval/{decision}', summary: 'Approve, reject, request information or delegate', tag: 'approvals', body: ApprovalBody, idempotent: true },
  { method: 'post', path: '/tickets/{number}/attachments', summary: 'Upload files (multipart/form-data, field `file`, up to 10 files of 25 MB; type decided by content)', tag: 'attachments', multipart: UploadFields, status: '201' },
  { method: 'get', path: '/tickets/{number}/attachments', summary: 'Files on a ticket (internal ones only for staff)', tag: 'attachments', query: PageQuery },
  { method: 'get', path: '/tickets/{number}/attachments/{id}/content', summary: 'Download a clean file (logged); 409 while quarantined, infected or unscanned', tag: 'attachments', binary: true },
  { method: 'get', path: '/tickets/{number}/attachments/{id}/downloads', summary: 'Who downloaded a file, when, from where (staff only)', tag: 'attachments', query: PageQuery },
  { method: 'post', path: '/tickets/{number}/attachments/{id}/scan', summary: 'Scan a quarantined or unscanned file again (staff only)', tag: 'attachments' },
  { method: 'get', path: '/approvals/pending', summary: 'Approval steps waiting on the caller', tag: 'approvals', query: PageQuery },
  { method: 'post', path: '/approvals/bulk-approve', summary: 'Approve many tickets; each reports its own outcome', tag: 'approvals', body: BulkApproveBody },
  { method: 'get', path: '/approvals/delegations', summary: 'Standing delegations from or to the caller', tag: 'approvals', query: PageQuery },
  { method: 'post', path: '/approvals/delegations', summary: 'Delegate my approvals between two dates (out of office)', tag: 'approvals', body: DelegationBody, status: '201' },
  { method: 'delete', path: '/approvals/delegations/{id}', summary: 'Withdraw one of my delegations', tag: 'approvals' },
  { method: 'post', path: '/tickets/bulk/actions/{action}', summary: 'Assign or set priority on many tickets; each reports its own outcome', tag: 'tickets', body: BulkActionBody },
  { method: 'get', path: '/saved-filters', summary: "The caller's saved ticket-list filters", tag: 'tickets' },
  { method: 'post', path: '/saved-filters', summary: 'Save the list filters under a name (the same name replaces them)', tag: 'tickets', body: SavedFilterBody, status: '201', alsoOk: true },
  { method: 'delete', path: '/saved-filters/{id}', summary: 'Delete one of my saved filters', tag: 'tickets' },
  { method: 'get', path: '/tickets/{number}/mentionable', summary: 'People the caller may @mention on the ticket (they may see it; `internal` when they read internal notes)', tag: 'tickets', query: MentionableQuery },
  { method: 'get', path: '/notifications', summary: 'In-portal notifications', tag: 'notifications', query: NotificationListQuery },
  { method: 'get', path: '/notifications/unread-count', summary: 'Unread count', tag: 'notifications' },
  { method: 'post', path: '/notifications/read-all', summary: 'Mark all read', tag: 'notifications' },
  { method: 'post', path: '/notifications/{id}/read', summary: 'Mark one read', tag: 'notifications' },
  { method: 'get', path: '/reports', summary: 'Available reports', tag: 'reports' },
  { method: 'get', path: '/reports/{name}', summary: 'A report as JSON or CSV', tag: 'reports', query: ReportQuery },
  { method: 'get', path: '/admin/calendars', summary: 'Business calendars', tag: 'admin' },
  { method: 'get', path: '/admin/calendars/{id}/preview', summary: 'Next working intervals of a calendar', tag: 'admin' },
  { method: 'put', path: '/admin/calendars/{id}', summary: 'Edit a calendar (open tickets recompute due instants)', tag: 'admin', body: CalendarBody },
  { method: 'get', path: '/admin/sla-policies', summary: 'SLA policies', tag: 'admin' },
  { method: 'put', path: '/admin/sla-policies/{id}', summary: 'Edit an SLA policy (applies to new tickets)', tag: 'admin', body: SlaPolicyBody },
  {
    method: 'post',
    path: '/admin/sla/what-if',
    summary:
      "Preview a draft SLA policy, escalation ladder or business calendar (admins): the period's recorded tickets (default the last 90 days; optionally one team or priority) replayed through today's configuration and the draft with the workflows' own SLA module. Answers NDJSON as it goes — `start`, `breach` (a ticket gaining or losing a breach), `progress` with running figures, `summary` (compliance, breaches gained and lost, escalations, median time to due) — or with `format=csv` one row per ticket",
    tag: 'admin',
    query: WhatIfQuery,
    body: WhatIfBody,
    ndjson: true,
  },
  { method: 'get', path: '/admin/notification-templates', summary: 'Email templates, one per notification kind', tag: 'admin', query: PageQuery },
  { method: 'get', path: '/admin/notification-templates/{alias}', summary: 'One email template', tag: 'admin' },
  { method: 'put', path: '/admin/notification-templates/{alias}', summary: 'Edit an email template (checked against the model, pushed to Postmark)', tag: 'admin', body: NotificationTemplateBody, unprocessable: 'A placeholder the model lacks or an unbalanced section; each field is named' },
  { method: 'get', path: '/admin/inbound-emails', summary: 'Every inbound email and what became of it (admins)', tag: 'admin', query: PageQuery },
  {
    method: 'post',
    path: '/inbound/postmark',
    summary: "Postmark's inbound webhook: a new email raises a ticket, a reply to support+<hash>@ appends to it. Permanent refusals answer 403 (Postmark stops retrying)",
    tag: 'email',
    public: true,
    security: 'HTTP basic auth with INBOUND_WEBHOOK_USER / INBOUND_WEBHOOK_PASSWORD (put them in the webhook URL); 503 until a password is configured',
    body: PostmarkInbound,
  },
  { method: 'get', path: '/admin/departments', summary: 'Departments (admins and leads)', tag: 'admin', query: PageQuery },
  { method: 'post', path: '/admin/departments', summary: 'Create a department', tag: 'admin', body: DepartmentCreateBody, status: '201' },
  { method: 'put', path: '/admin/departments/{id}', summary: 'Edit a department and its head (the head approves department-head steps of new tickets)', tag: 'admin', body: DepartmentEditBody },
  { method: 'get', path: '/admin/teams', summary: 'Teams with members (admins and leads)', tag: 'admin', query: PageQuery },
  { method: 'post', path: '/admin/teams', summary: 'Create a team (routes and assigns new tickets)', tag: 'admin', body: TeamCreateBody, status: '201' },
  { method: 'get', path: '/admin/teams/{id}', summary: 'A team with its members (admins and leads)', tag: 'admin' },
  { method: 'put', path: '/admin/teams/{id}', summary: 'Edit a team: name, department, calendar, assignment strategy (applies to new tickets)', tag: 'admin', body: TeamEditBody },
  { method: 'put', path: '/admin/teams/{id}/members/{userId}', summary: "Add a member or change their membership and shift (bumps the team's version; applies to new tickets)", tag: 'admin', body: MemberBody },
  { method: 'delete', path: '/admin/teams/{id}/members/{userId}', summary: "Remove a member (bumps the team's version; open tickets keep their assignee)", tag: 'admin', query: VersionQuery },
  { method: 'get', path: '/admin/categories', summary: 'Categories with field schemas and approval rules (admins and leads)', tag: 'admin', query: CategoryListQuery },
  { method: 'post', path: '/admin/categories', summary: 'Create a category with its custom-field schema', tag: 'admin', body: CategoryCreateBody, status: '201' },
  { method: 'get', path: '/admin/categories/{id}', summary: 'A category (admins and leads)', tag: 'admin' },
  { method: 'put', path: '/admin/categories/{id}', summary: 'Edit or archive a category (archived: out of the catalog, history kept; applies to new tickets)', tag: 'admin', body: CategoryEditBody },
  { method: 'put', path: '/admin/categories/{id}/fields', summary: 'Replace the custom-field schema (checked on new tickets and on edits; existing values kept)', tag: 'admin', body: FieldSchemaEditBody },
  { method: 'put', path: '/admin/categories/{id}/approval-rule', summary: 'Set the approval rule (validated so the workflow can run it; applies to new tickets)', tag: 'admin', body: ApprovalRuleBody },
  { method: 'get', path: '/admin/routing-rules', summary: 'Routing rules in evaluation order (admins and leads)', tag: 'admin', query: PageQuery },
  { method: 'post', path: '/admin/routing-rules', summary: 'Create a routing rule (first match wins; applies to new tickets)', tag: 'admin', body: RoutingRuleCreateBody, status: '201' },
  { method: 'put', path: '/admin/routing-rules/order', summary: 'Reorder every routing rule at once (applies to new tickets)', tag: 'admin', body: RoutingOrderBody },
  { method: 'put', path: '/admin/routing-rules/{id}', summary: 'Edit a routing rule (applies to new tickets)', tag: 'admin', body: RoutingRuleEditBody },
  { method: 'delete', path: '/admin/routing-rules/{id}', summary: 'Delete a routing rule (tickets it routed keep its name in their history)', tag: 'admin', query: VersionQuery },
  { method: 'get', path: '/admin/people', summary: 'Search the directory (admins)', tag: 'admin', query: PeopleAdminQuery },
  { method: 'get', path: '/admin/people/{id}', summary: 'A person with roles, manager and team memberships (admins)', tag: 'admin' },
  { method: 'patch', path: '/admin/people/{id}', summary: "Edit a person (versioned; fields the identity provider owns are read-only)", tag: 'admin', body: PersonEditBody },
  { method: 'post', path: '/admin/people/import', summary: 'Import people from a CSV body (text/csv, or JSON {"csv": "…"}); per-row errors', tag: 'admin', csvBody: true },
  { method: 'get', path: '/admin/audit', summary: 'Audit log of admin changes', tag: 'admin', query: AuditQuery },
  { method: 'get', path: '/tickets/{number}/watchers', summary: "Who watches a ticket (non-staff see only their own entry)", tag: 'tickets', query: PageQuery },
  { method: 'post', path: '/tickets/{number}/watchers', summary: 'Watch a ticket (yourself; staff of the ticket may add anyone who can see it)', tag: 'tickets', body: WatchBody, status: '201', alsoOk: true },
  { method: 'delete', path: '/tickets/{number}/watchers/{userId}', summary: 'Stop watching (yourself; staff of the ticket may remove anyone)', tag: 'tickets' },
  {
    method: 'post',
    path: '/imports',
    summary: 'Import tickets from a CSV file sent as the raw text/csv body (leads and admins; at most 20 MB and 50,000 rows). Columns: external_id, requester_email, title, description, category (id, code or name), priority (optional), cf.<key> per custom field. Answers 202; the rows are processed in the background.',
    tag: 'imports',
    query: ImportUploadQuery,
    csvBody: true,
    status: '202',
    unprocessable: 'The file has no rows, too many rows, or a header that does not describe tickets',
  },
  { method: 'get', path: '/imports', summary: 'My imports (admins: all)', tag: 'imports', query: PageQuery },
  { method: 'get', path: '/imports/{id}', summary: 'Progress and totals of an import', tag: 'imports' },
  { method: 'get', path: '/imports/{id}/errors', summary: 'Per-row errors, as JSON (paginated) or CSV (?format=csv, streamed, formulas neutralised)', tag: 'imports', query: ImportErrorsQuery },
];

const envelopeError = {
  type: 'object',
  required: ['success', 'error', 'meta'],
  properties: {
    success: { const: false },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
    meta: { $ref: '#/components/schemas/Meta' },
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(schema: z.ZodType | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({ name, in: 'query', required: (object.required ?? []).includes(name), schema: property }));
}

function pathParameters(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
}

function multipartSchema(fields: z.ZodObject) {
  const schema = jsonSchema(fields) as { properties?: Record<string, unknown>; required?: string[] };
  return {
    type: 'object',
    required: ['file', ...(schema.required ?? [])],
    properties: { file: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } }, ...schema.properties },
  };
}

export function buildOpenApi(serverUrl = '/api/v1') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const errors = Object.fromEntries(
      [
        ['400', 'Invalid input; each offending field is named'],
        ...(op.public ? [] : [['401', 'Missing or invalid bearer token'], ['403', 'Not allowed'], ['404', 'Not found, or not visible to the caller'], ['429', 'Rate limited']]),
        ...(op.method === 'get' ? [] : [['409', 'Illegal transition, stale version or reused idempotency key']]),
        ...(op.unprocessable ? [['422', op.unprocessable]] : []),
        ...(op.body || op.multipart || op.csvBody ? [['413', 'The body (or a file in it) is too large']] : []),
        ...(op.multipart || op.csvBody ? [['415', 'The body is not of the documented media type, or a file type is not accepted']] : []),
        // Creates, Updates and the live query wait on Temporal for a bounded time (TEMPORAL_REQUEST_TIMEOUT_MS).
        ...(!op.public && (op.path.startsWith('/tickets') || op.path.startsWith('/approvals/bulk')) && (op.method !== 'get' || op.path.endsWith('/live'))
          ? [['503', 'Temporal did not confirm in time (no worker may be running); the change may still apply: retry with the same Idempotency-Key']]
          : []),
      ].map(([status, description]) => [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
    );
    const success = op.csv
      ? { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }
      : op.ndjson
        ? { description: 'Newline-delimited JSON, one object per line, streamed; or CSV with format=csv', content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } }
      : op.eventStream
        ? { description: 'An open event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }
        : op.binary
        ? { description: 'The file, with its sniffed Content-Type and Content-Disposition: attachment', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
        : { description: 'Success envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Success' } } } };
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      tags: [op.tag],
      operationId: `${op.method}${op.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(op.public ? { security: op.security ? [{ webhookBasic: [] }] : [] } : {}),
      ...(op.security ? { description: op.security } : {}),
      parameters: [
        ...pathParameters(op.path),
        ...queryParameters(op.query),
        ...(op.idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' } }] : []),
      ],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      ...(op.multipart ? { requestBody: { required: true, content: { 'multipart/form-data': { schema: multipartSchema(op.multipart) } } } } : {}),
      ...(op.csvBody ? { requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } } } : {}),
      responses: { [op.status ?? '200']: success, ...(op.alsoOk ? { '200': success } : {}), ...errors },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Durable Ticketing API', version: '1.0.0', description: 'Every ticket is a Temporal workflow; this API starts them, sends them Updates and reads the read model.' },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, webhookBasic: { type: 'http', scheme: 'basic' } },
      schemas: {
        Meta: { type: 'object', properties: { timestamp: { type: 'string', format: 'date-time' }, requestId: { type: 'string' } } },
        Success: { type: 'object', required: ['success', 'data', 'meta'], properties: { success: { const: true }, data: {}, pagination: { type: 'object' }, meta: { $ref: '#/components/schemas/Meta' } } },
        Error: envelopeError,
      },
    },
  };
}
