import type { TicketFacts, SystemTransition } from './domain/status-machine';
import type { Actor, TicketStatus } from './domain/types';
import type { MessageVisibility, TicketState } from './definitions';
import type { Effect, EventDraft, TicketSnapshot } from './ticket-model';

/**
 * The entity's write access, handed by `TicketEntity` to its own parts
 * (ticket-entity-sla.ts, ticket-entity-approval.ts, ticket-entity-lifecycle.ts) and to
 * nobody else. The parts are the entity split along its seams, not separate writers: only the entity constructs a writer, and the rule modules
 * (ticket-sla.ts, ticket-approval.ts, ...) still only read snapshots and return decisions.
 */
export interface TicketWriter extends TicketSnapshot {
  readonly state: TicketState;
  facts(): TicketFacts;
  /** A status change the ticket makes by itself, decided by the status machine for the system actor. */
  transition(name: SystemTransition): TicketStatus;
  record(now: Date, actor: Actor | null, type: string, fromStatus: TicketStatus | null, toStatus: TicketStatus | null, data: Record<string, unknown>, visibility?: MessageVisibility): void;
  recordSystem(now: Date, event: EventDraft): void;
  queue(effect: Effect): void;
  /** Whether the team's assignment strategy has to pick someone (again). */
  setAssignmentPending(pending: boolean): void;
  /**
   * Whether this run takes a patched behaviour (the workflow's `patched()`, asked only where the
   * behaviour would differ, so a run records a marker only when it does); always true outside it.
   */
  since(patch: string): boolean;
}
