import { TicketErrorType, type CustomFieldsRequest } from './definitions';
import { TERMINAL_STATUSES, type TicketStatus } from './domain/types';
import { ActionRefused, refuse, type EventDraft, type TicketSnapshot } from './ticket-model';

/**
 * Custom-field edits inside the workflow. The API checks each value against the
 * category's schema (the snapshot does not carry it); the workflow owns who may edit,
 * when, and the version, and records what changed so the timeline shows before and after.
 */

/**
 * A requester may correct their own form until someone has triaged the ticket, and again
 * while the team waits on them (often precisely for a missing or wrong field) — but never
 * a ticket with an approval chain: what approvers see, or saw and approved, must not change
 * under them.
 */
const REQUESTER_EDITABLE: readonly TicketStatus[] = ['new', 'waiting_on_requester'];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The keys whose value actually changes, with their values before and after (null: absent). */
export function customFieldDiff(current: Record<string, unknown>, changes: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (same(current[key], value)) continue;
    before[key] = current[key] ?? null;
    after[key] = value ?? null;
  }
  return { before, after };
}

export function validateCustomFieldEdit(ticket: TicketSnapshot & { isStaff(actor: CustomFieldsRequest['actor'], need: 'read' | 'write'): boolean }, request: CustomFieldsRequest): void {
  if (request.expectedVersion !== undefined && request.expectedVersion !== ticket.state.version) {
    throw new ActionRefused(
      TicketErrorType.StaleVersion,
      `The ticket changed since version ${request.expectedVersion}; it is now at version ${ticket.state.version}`,
      'expectedVersion',
    );
  }
  if (TERMINAL_STATUSES.includes(ticket.state.status)) refuse('ILLEGAL_TRANSITION', `The ticket is ${ticket.state.status}; its fields can no longer change`);
  if (Object.keys(request.changes).length === 0) refuse('VALIDATION_ERROR', 'Name at least one field to change', 'customFields');
  if (ticket.isStaff(request.actor, 'write')) return;
  if (request.actor.userId === ticket.state.requesterId) {
    if (ticket.state.approval) refuse('FORBIDDEN', 'The request went to approval; ask the team to change its fields');
    if (REQUESTER_EDITABLE.includes(ticket.state.status)) return;
    refuse('FORBIDDEN', `The ticket is ${ticket.state.status}; ask the team to change its fields`);
  }
  refuse('FORBIDDEN', `${request.actor.name} may not edit this ticket`);
}

/** The fields after the edit and its timeline event; null when the edit changes nothing (a retried request is harmless). */
export function customFieldEdit(current: Record<string, unknown>, changes: Record<string, unknown>): { fields: Record<string, unknown>; event: EventDraft } | null {
  const { before, after } = customFieldDiff(current, changes);
  if (Object.keys(after).length === 0) return null;
  const fields = { ...current };
  for (const [key, value] of Object.entries(after)) {
    if (value === null) delete fields[key];
    else fields[key] = value;
  }
  return { fields, event: { type: 'custom_fields_changed', data: { before, after } } };
}
