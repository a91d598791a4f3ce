import type { MessageVisibility, TicketState } from '../../workflows/definitions';
import { decideSystem, type SystemTransition, type TicketFacts } from '../../workflows/domain/status-machine';
import { summarise, type SlaClockName, type SlaState } from '../../workflows/domain/sla-clock';
import type { Actor, ConfigSnapshot, Priority, SlaPolicySnapshot, TeamSnapshot, TicketStatus } from '../../workflows/domain/types';
import { SYSTEM_ACTOR } from '../../workflows/domain/types';
import { beginSla, changeSla, escalateDue, slaAfterStatus, slaOnPolicyChange } from '../../workflows/ticket-entity-sla';
import type { TicketWriter } from '../../workflows/ticket-entity-writer';
import type { Effect, EventDraft } from '../../workflows/ticket-model';
import { nextSlaWake, slaDues, slaOnFirstResponse } from '../../workflows/ticket-sla';

/**
 * Replays one ticket's recorded events (the rows of `ticket_events`) through an SLA
 * configuration — today's or an admin's draft — and says what the clocks would have done:
 * due instants, breaches, the escalation rungs that would have run.
 *
 * No arithmetic lives here. The replay drives the very functions the ticket workflow calls
 * (ticket-entity-sla.ts → ticket-sla.ts → sla-clock.ts → business-time.ts) through a
 * TicketWriter of its own, in the order TicketEntity calls them, and fires the SLA timer at
 * each due point exactly as the workflow's timer does. People's actions (status changes,
 * replies, priority changes, transfers) are inputs; what the SLA itself caused (breaches,
 * `sla_recomputed`, escalation rungs and their priority bumps or backup assignments) is
 * recomputed, since a different configuration would have caused something else.
 */

export interface RecordedEvent {
  seq: number;
  type: string;
  actorId: number | null;
  fromStatus: TicketStatus | null;
  toStatus: TicketStatus | null;
  data: Record<string, unknown>;
  occurredAt: Date;
}

export interface RecordedTicket {
  number: number;
  requesterId: number;
  events: RecordedEvent[];
}

/** The configuration the clocks read: teams with their calendars and leads, and the SLA policies. */
export type SlaConfig = Pick<ConfigSnapshot, 'teams' | 'slaPolicies'>;

export type ClockOutcome = 'met' | 'breached' | 'open';

export interface ClockReplay {
  outcome: ClockOutcome;
  targetMinutes: number;
  /** The due instant the clock last worked towards (kept after it stopped), or null if it never ran to one. */
  dueAt: string | null;
  breachedAt: string | null;
  /** Wall-clock minutes from the SLA's start to `dueAt`: how long the ticket had. */
  minutesToDue: number | null;
}

export interface FiredEscalation {
  policyId: number;
  step: number;
  action: string;
  at: string;
}

export interface TicketReplay {
  number: number;
  /** False when no policy or usable calendar applied: the ticket has no SLA (reports leave it out). */
  applicable: boolean;
  priority: Priority;
  teamId: number | null;
  firstResponse: ClockReplay | null;
  resolution: ClockReplay | null;
  escalations: FiredEscalation[];
}

/** Outputs of the SLA itself: recomputed by the replay, never read as inputs. */
const SLA_OUTPUTS = new Set(['sla_started', 'sla_not_applicable', 'sla_recomputed', 'sla_breached', 'sla_warning', 'escalation']);

interface ReplayContext {
  writer: TicketWriter;
  /** The clocks last looked at: dues and the next wake only change when the clocks do (every change makes a new state). */
  seen: SlaState | null | undefined;
  wake: number | null;
  escalations: FiredEscalation[];
  lastDue: Record<SlaClockName, number | null>;
  slaStartedAt: number | null;
}

function createWriter(ticket: RecordedTicket, config: ConfigSnapshot, ctx: () => ReplayContext): TicketWriter {
  const state: TicketState = {
    number: ticket.number,
    title: '',
    description: '',
    status: 'new',
    priority: 'medium',
    channel: 'portal',
    categoryId: 0,
    departmentId: 0,
    teamId: null,
    assigneeId: null,
    requesterId: ticket.requesterId,
    customFields: {},
    routing: null,
    version: 0,
    createdAt: '',
    updatedAt: '',
    resolvedAt: null,
    closedAt: null,
    firstResponseAt: null,
  };
  const teamOfState = (): TeamSnapshot | undefined => config.teams.find((t) => t.id === state.teamId);
  const noteEscalation = (data: Record<string, unknown>, now: Date, policyId: number) => {
    ctx().escalations.push({ policyId, step: Number(data.step ?? data.escalationStep), action: String(data.action ?? ''), at: String(data.dueAt ?? now.toISOString()) });
  };
  const writer: TicketWriter = {
    state,
    config,
    facts(): TicketFacts {
      return {
        status: state.status,
        requesterId: state.requesterId,
        teamId: state.teamId,
        assigneeId: state.assigneeId,
        priority: state.priority,
        teamMemberIds: teamOfState()?.memberIds ?? [],
        knownTeamIds: config.teams.map((t) => t.id),
      };
    },
    transition(name: SystemTransition): TicketStatus {
      const decision = decideSystem(writer.facts(), name, SYSTEM_ACTOR);
      if (!decision.ok) throw new Error(`status machine refused ${name}: ${decision.message}`);
      state.status = decision.to;
      return decision.to;
    },
    record(now: Date, _actor: Actor | null, type: string, _from: TicketStatus | null, _to: TicketStatus | null, data: Record<string, unknown>, _visibility?: MessageVisibility) {
      if (type === 'escalation') noteEscalation(data, now, state.sla?.policy.id ?? 0);
    },
    recordSystem(now: Date, event: EventDraft) {
      // Rungs that change the ticket (backup, priority) or could not act are recorded as events.
      if (event.type === 'escalation') noteEscalation(event.data, now, state.sla?.policy.id ?? 0);
    },
    queue(effect: Effect) {
      // Rungs that notify or page queue an activity; the rung "fired" when it was queued.
      if (effect.escalationStep !== undefined) {
        ctx().escalations.push({ policyId: state.sla?.policy.id ?? 0, step: effect.escalationStep, action: effect.rung?.action ?? effect.kind, at: effect.dueAt ?? '' });
      }
    },
    setAssignmentPending() {},
    // The what-if shows what the clocks do now: every patched behaviour.
    since: () => true,
  };
  return writer;
}

/** Remembers each clock's due instant while it has one, so a stopped clock still says what it was due at. */
function noteDues(ctx: ReplayContext): void {
  const sla = ctx.writer.state.sla;
  if (!sla || sla === ctx.seen) return;
  ctx.seen = sla;
  ctx.wake = nextSlaWake(ctx.writer);
  const dues = slaDues(sla);
  if (dues.firstResponseDue) ctx.lastDue.first_response = Date.parse(dues.firstResponseDue);
  if (dues.resolutionDue) ctx.lastDue.resolution = Date.parse(dues.resolutionDue);
}

/** Fires the SLA timer at every due point before `until`, as the workflow's timer would have. */
function runTimersUntil(ctx: ReplayContext, until: number): void {
  for (let guard = 0; guard < 1000; guard++) {
    noteDues(ctx);
    const wake = ctx.wake;
    if (!ctx.writer.state.sla || wake === null || wake > until) return;
    escalateDue(ctx.writer, new Date(wake));
    noteDues(ctx);
  }
  throw new Error(`ticket ${ctx.writer.state.number}: SLA timers did not settle`);
}

function applyEvent(ctx: ReplayContext, event: RecordedEvent, requesterId: number): void {
  const { writer } = ctx;
  const { state } = writer;
  const now = event.occurredAt;
  const data = event.data ?? {};
  switch (event.type) {
    case 'created':
      if (typeof data.priority === 'string') state.priority = data.priority as Priority;
      state.status = event.toStatus ?? 'new';
      state.createdAt = now.toISOString();
      return;
    case 'routed': {
      state.teamId = typeof data.teamId === 'number' ? data.teamId : state.teamId;
      const team = writer.config.teams.find((t) => t.id === state.teamId);
      if (team) state.departmentId = team.departmentId;
      return;
    }
    case 'sla_started':
    case 'sla_not_applicable':
      // The workflow opened its clocks here (or found none to open): the replay opens its own on the configuration given.
      if (state.sla === undefined) {
        beginSla(writer, now);
        ctx.slaStartedAt = now.getTime();
      }
      return;
    case 'public_reply':
      // Only staff may reply besides the requester, so a public reply by anyone else is the agents' first response.
      if (event.actorId !== requesterId && !state.firstResponseAt) {
        state.firstResponseAt = now.toISOString();
        changeSla(writer, slaOnFirstResponse(now), now);
      }
      return;
    case 'assign':
    case 'auto_assigned':
      if (typeof data.assigneeId === 'number') state.assigneeId = data.assigneeId;
      break;
    case 'set_priority': {
      const from = state.status;
      if (typeof data.priority === 'string') {
        const previous = state.priority;
        state.priority = data.priority as Priority;
        state.status = event.toStatus ?? from;
        slaOnPolicyChange(writer, `priority ${previous} → ${state.priority}`, now);
        slaAfterStatus(writer, from, state.status, now);
      }
      return;
    }
    case 'transfer': {
      const from = state.status;
      const team = writer.config.teams.find((t) => t.id === data.teamId);
      if (typeof data.teamId === 'number') state.teamId = data.teamId;
      if (team) state.departmentId = team.departmentId;
      if (state.assigneeId !== null && team && !team.memberIds.includes(state.assigneeId)) state.assigneeId = null;
      state.status = event.toStatus ?? from;
      slaOnPolicyChange(writer, `transferred to ${team?.name ?? data.teamId}`, now);
      slaAfterStatus(writer, from, state.status, now);
      return;
    }
  }
  if (event.toStatus !== null && !SLA_OUTPUTS.has(event.type)) {
    const from = state.status;
    const to = event.toStatus;
    state.status = to;
    slaAfterStatus(writer, from, to, now, event.type === 'reopen');
  }
}

function clockReplay(ctx: ReplayContext, sla: SlaState, name: SlaClockName, now: Date): ClockReplay {
  const summary = summarise(sla, name, now);
  const outcome: ClockOutcome = summary.state === 'met' || summary.state === 'breached' ? summary.state : 'open';
  const due = ctx.lastDue[name];
  return {
    outcome,
    targetMinutes: summary.targetMinutes,
    dueAt: due === null ? null : new Date(due).toISOString(),
    breachedAt: summary.breachedAt,
    minutesToDue: due === null || ctx.slaStartedAt === null ? null : Math.round((due - ctx.slaStartedAt) / 600) / 100,
  };
}

/**
 * What the SLA clocks would have done for `ticket` under `config`, as of `now`: events
 * after `now` are ignored, and due points up to `now` have fired. Pure: same inputs, same answer.
 */
export function replayTicket(ticket: RecordedTicket, config: SlaConfig, now: Date): TicketReplay {
  const snapshot = { ...config, version: 'what-if', routingRules: [], defaultTeamId: 0 } as unknown as ConfigSnapshot;
  let context: ReplayContext | null = null;
  const writer = createWriter(ticket, snapshot, () => context!);
  context = { writer, seen: undefined, wake: null, escalations: [], lastDue: { first_response: null, resolution: null }, slaStartedAt: null };
  const ctx = context;
  const events = [...ticket.events].sort((a, b) => a.seq - b.seq);
  for (const event of events) {
    const at = event.occurredAt.getTime();
    if (at > now.getTime()) break;
    runTimersUntil(ctx, at);
    applyEvent(ctx, event, ticket.requesterId);
    noteDues(ctx);
  }
  runTimersUntil(ctx, now.getTime());
  const sla = writer.state.sla;
  return {
    number: ticket.number,
    applicable: Boolean(sla),
    priority: writer.state.priority,
    teamId: writer.state.teamId,
    firstResponse: sla ? clockReplay(ctx, sla, 'first_response', now) : null,
    resolution: sla ? clockReplay(ctx, sla, 'resolution', now) : null,
    escalations: ctx.escalations,
  };
}

/** A policy snapshot from the admin API's shape (what `GET /admin/sla-policies` answers and the draft carries). */
export function policySnapshot(policy: Omit<SlaPolicySnapshot, 'version'> & { version?: number }): SlaPolicySnapshot {
  return { ...policy, version: policy.version ?? 0 };
}
