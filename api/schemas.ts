import { z } from 'zod';
import type { CustomFieldFilter } from './custom-fields';
import { LIFECYCLE_ACTIONS } from '../workflows/domain/status-machine';
import { PRIORITIES, STATUSES } from '../workflows/domain/types';

/** One schema per input: the runtime validator and the TypeScript type come from the same definition. */

const trimmed = (min: number, max: number) => z.string().trim().min(min).max(max);

/** Free text for a search box: control characters (a NUL broke SQLite's LIKE, found by fuzzing) get a 400 naming the field. */
// eslint-disable-next-line no-control-regex
export const searchText = (min: number, max: number) => z.string().trim().min(min, min > 1 ? `type at least ${min} characters` : undefined).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');

export const CreateTicketBody = z.strictObject({
  title: trimmed(3, 200),
  description: trimmed(1, 20_000),
  categoryId: z.number().int().positive(),
  priority: z.enum(PRIORITIES).default('medium'),
  customFields: z.record(z.string(), z.unknown()).default({}),
});
export type CreateTicketBody = z.infer<typeof CreateTicketBody>;

export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'must be 8–128 letters, digits or _ . : -');

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

/**
 * A period given backwards (its end before its start) is a mistake to name, not an empty answer:
 * a 400 on the end, for each pair of ISO instants `[from, to]`.
 */
export function rangesInOrder(pairs: Array<[string, string]>) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const [from, to] of pairs) {
      const start = value[from];
      const end = value[to];
      if (typeof start === 'string' && typeof end === 'string' && Date.parse(end) < Date.parse(start)) {
        ctx.addIssue({ code: 'custom', path: [to], message: `must not be before ${from}` });
      }
    }
  };
}

export const ListTicketsQuery = z.strictObject({
  scope: z.enum(['mine', 'team', 'all']).default('all'),
  status: csv(STATUSES).optional(),
  priority: csv(PRIORITIES).optional(),
  teamId: z.coerce.number().int().positive().optional(),
  departmentId: z.coerce.number().int().positive().optional(),
  assigneeId: z.coerce.number().int().positive().optional(),
  q: searchText(1, 200).optional(),
  createdFrom: z.iso.datetime({ offset: true }).optional(),
  createdTo: z.iso.datetime({ offset: true }).optional(),
  updatedFrom: z.iso.datetime({ offset: true }).optional(),
  updatedTo: z.iso.datetime({ offset: true }).optional(),
  sort: z.enum(['updated_desc', 'updated_asc', 'created_desc', 'created_asc', 'priority', 'due']).default('updated_desc'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
}).superRefine(rangesInOrder([
  ['createdFrom', 'createdTo'],
  ['updatedFrom', 'updatedTo'],
]));
/** The list filters, plus `cf.` filters on declared custom fields (checked against the catalog). */
export type ListTicketsQuery = z.infer<typeof ListTicketsQuery> & { customFields?: CustomFieldFilter[] };

export const PageQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** A database id in a path: a positive integer that fits the column. */
/** An id in a path: plain digits, so `0x2`, `2e0`, `2.0` or ` 2` name no record instead of record 2. */
export const RecordId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a positive whole number')
  .transform(Number)
  .pipe(z.number().max(2_147_483_647));
export const TicketNumberParam = RecordId;

export const ActionName = z.enum(LIFECYCLE_ACTIONS);

export const ActionBody = z.strictObject({
  expectedVersion: z.number().int().min(0).optional(),
  assigneeId: z.number().int().positive().optional(),
  reason: trimmed(1, 2000).optional(),
  resolution: trimmed(1, 5000).optional(),
  priority: z.enum(PRIORITIES).optional(),
  teamId: z.number().int().positive().optional(),
  access: z.enum(['read', 'write']).optional(),
});

const TicketNumbers = z.array(z.number().int().positive()).min(1).max(100);

/** A ticket-list filter saved under a name: `GET /tickets`'s own filters, lists as arrays. */
export const SavedFilterBody = z.strictObject({
  // eslint-disable-next-line no-control-regex
  name: trimmed(1, 80).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters'),
  filters: z.strictObject({
    scope: z.enum(['mine', 'team', 'all']).optional(),
    status: z.array(z.enum(STATUSES)).min(1).max(STATUSES.length).optional(),
    priority: z.array(z.enum(PRIORITIES)).min(1).max(PRIORITIES.length).optional(),
    teamId: z.number().int().positive().max(2_147_483_647).optional(),
    assigneeId: z.number().int().positive().max(2_147_483_647).optional(),
    q: searchText(1, 200).optional(),
    sort: z.enum(['updated_desc', 'updated_asc', 'created_desc', 'created_asc', 'priority', 'due']).optional(),
  }),
});
export type SavedFilterBody = z.infer<typeof SavedFilterBody>;

export const BulkActionName = z.enum(['assign', 'set_priority']);
export const BulkActionBody = z.strictObject({
  numbers: TicketNumbers,
  assigneeId: z.number().int().positive().optional(),
  priority: z.enum(PRIORITIES).optional(),
  reason: trimmed(1, 2000).optional(),
});

/**
 * Each ticket with the step the approver saw (`items`), so a step that moved on meanwhile
 * answers 409 instead of being approved unseen. `numbers` alone approves the step each
 * ticket waits on now in the caller's queue.
 */
export const BulkApproveBody = z
  .strictObject({
    numbers: TicketNumbers.optional(),
    items: z.array(z.strictObject({ number: z.number().int().positive(), step: z.number().int().min(0).max(50) })).min(1).max(100).optional(),
  })
  .refine((b) => (b.numbers === undefined) !== (b.items === undefined), { message: 'give either numbers or items (each ticket with the step shown)', path: ['items'] });

const IsoDay = z.iso.date();
export const DelegationBody = z
  .strictObject({ toUserId: z.number().int().positive(), startsOn: IsoDay, endsOn: IsoDay })
  .refine((d) => d.endsOn >= d.startsOn, { message: 'must not be before startsOn', path: ['endsOn'] });

export const ApprovalDecisionName = z.enum(['approve', 'reject', 'request_info', 'delegate']);

export const ApprovalBody = z.strictObject({
  step: z.number().int().min(0).max(50).optional(),
  reason: trimmed(1, 2000).optional(),
  question: trimmed(1, 2000).optional(),
  toUserId: z.number().int().positive().optional(),
});
export type ApprovalBody = z.infer<typeof ApprovalBody>;

export const MessageBody = z.strictObject({
  body: trimmed(1, 20_000),
  visibility: z.enum(['public', 'internal']).default('public'),
});
export type MessageBody = z.infer<typeof MessageBody>;
export type ActionBody = z.infer<typeof ActionBody>;

/** Custom-field edit: each named key is set; null (or an empty value) clears an optional field. */
export const CustomFieldsBody = z.strictObject({
  customFields: z.record(z.string().max(64), z.unknown()).refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 50, 'must name between 1 and 50 fields'),
  expectedVersion: z.number().int().min(0),
});
export type CustomFieldsBody = z.infer<typeof CustomFieldsBody>;
