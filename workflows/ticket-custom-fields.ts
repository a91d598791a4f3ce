import { TicketErrorType, type CustomFieldsRequest } from './definitions';
import type { TicketStatus } from './domain/types';
import { ActionRefused, refuse, type TicketEntity } from './ticket-entity';

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

export function validateCustomFieldEdit(ticket: TicketEntity, request: CustomFieldsRequest): void {
  if (request.expectedVersion !== undefined && request.expectedVersion !== ticket.state.version) {
    throw new ActionRefused(
      TicketErrorType.StaleVersion,
      `The ticket changed since version ${request.expectedVersion}; it is now at version ${ticket.state.version}`,
      'expectedVersion',
    );
  }
  if (ticket.isTerminal()) refuse('ILLEGAL_TRANSITION', `The ticket is ${ticket.state.status}; its fields can no longer change`);
  if (Object.keys(request.changes).length === 0) refuse('VALIDATION_ERROR', 'Name at least one field to change', 'customFields');
  if (ticket.isStaff(request.actor, 'write')) return;
  if (request.actor.userId === ticket.state.requesterId) {
    if (ticket.state.approval) refuse('FORBIDDEN', 'The request went to approval; ask the team to change its fields');
    if (REQUESTER_EDITABLE.includes(ticket.state.status)) return;
    refuse('FORBIDDEN', `The ticket is ${ticket.state.status}; ask the team to change its fields`);
  }
  refuse('FORBIDDEN', `${request.actor.name} may not edit this ticket`);
}

/** Applies the edit; an edit that changes nothing records nothing (a retried request is harmless). */
export function applyCustomFieldEdit(ticket: TicketEntity, request: CustomFieldsRequest, now: Date): void {
  validateCustomFieldEdit(ticket, request);
  const { before, after } = customFieldDiff(ticket.state.customFields, request.changes);
  if (Object.keys(after).length === 0) return;
  const next = { ...ticket.state.customFields };
  for (const [key, value] of Object.entries(after)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  ticket.state.customFields = next;
  ticket.record(now, request.actor, 'custom_fields_changed', null, null, { before, after });
}
