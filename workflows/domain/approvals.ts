/**
 * Approval chains: which rule applies to a ticket, who approves each step, and how
 * decisions, delegation and requests for information move the chain. Pure data in,
 * pure data out; the workflow keeps the state and records every decision.
 */

export type ApproverSource =
  | { kind: 'requester_manager' }
  | { kind: 'department_head'; departmentId?: number }
  | { kind: 'role_in_department'; role: string; departmentId: number }
  | { kind: 'users'; userIds: number[] }
  | { kind: 'group'; group: string };

export interface ApprovalStepRule {
  name: string;
  approvers: ApproverSource;
  mode: 'any' | 'all' | 'quorum';
  /** For quorum: how many approvals complete the step. */
  quorum?: number;
  /** Business hours before a reminder, and before escalation to the approver's manager. */
  remindAfterHours?: number;
  escalateAfterHours?: number;
  /**
   * What happens when the org chart leaves the step with nobody eligible (the requester has
   * no manager, or the only approver is the requester): `escalate` (the default) moves it up
   * to the next manager, the department head or an admin; `skip` leaves the step out. Either
   * is recorded on the ticket's timeline with the reason; a request is never refused for it.
   */
  whenNobodyEligible?: 'skip' | 'escalate';
}

export interface ConditionalBranch {
  /** Inclusive lower bound (absent: no lower bound). */
  min?: number;
  /** Exclusive upper bound (absent: no upper bound). */
  below?: number;
  steps: ApprovalStepRule[];
}

export type ApprovalRule =
  | { kind: 'none' }
  | { kind: 'chain'; steps: ApprovalStepRule[] }
  | { kind: 'conditional'; field: string; branches: ConditionalBranch[] };

export interface DirectoryPerson {
  id: number;
  name: string;
  managerId: number | null;
  departmentId: number | null;
  roles: string[];
}

/** The slice of the organisation approval resolution needs, snapshotted with the ticket. */
export interface ApprovalDirectory {
  people: DirectoryPerson[];
  departmentHeads: Record<number, number | null>;
  groups: Record<string, number[]>;
  delegations: StandingDelegation[];
}

/** Out of office: `fromUserId`'s approvals go to `toUserId` between the two dates (inclusive, ISO dates). */
export interface StandingDelegation {
  fromUserId: number;
  toUserId: number;
  startsOn: string;
  endsOn: string;
}

export interface ResolvedStep {
  name: string;
  approverIds: number[];
  required: number;
  mode: ApprovalStepRule['mode'];
  remindAfterHours: number | null;
  escalateAfterHours: number | null;
}

/** A step the org chart left without an eligible approver, and what its rule did about it. */
export interface StepAdjustment {
  /** The step's index in the rule (before any skipped step was taken out). */
  step: number;
  name: string;
  resolution: 'skipped' | 'escalated';
  reason: string;
  /** Who the step went to when it was escalated. */
  approverIds?: number[];
}

export class ApprovalConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalConfigError';
  }
}

/** The steps a rule gives for these custom-field values (the branch of a conditional rule). */
export function stepsFor(rule: ApprovalRule | null, customFields: Record<string, unknown>): ApprovalStepRule[] {
  if (!rule || rule.kind === 'none') return [];
  if (rule.kind === 'chain') return rule.steps;
  const raw = customFields[rule.field];
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(value)) throw new ApprovalConfigError(`customFields.${rule.field}`, `${rule.field} must be a number to choose the approval chain`);
  const branch = rule.branches.find((b) => (b.min === undefined || value >= b.min) && (b.below === undefined || value < b.below));
  return branch?.steps ?? [];
}

function approversOf(source: ApproverSource, requester: DirectoryPerson, directory: ApprovalDirectory): number[] {
  switch (source.kind) {
    case 'requester_manager':
      return requester.managerId === null ? [] : [requester.managerId];
    case 'department_head': {
      const departmentId = source.departmentId ?? requester.departmentId;
      const head = departmentId === null ? null : directory.departmentHeads[departmentId] ?? null;
      return head === null ? [] : [head];
    }
    case 'role_in_department':
      return directory.people.filter((p) => p.departmentId === source.departmentId && p.roles.includes(source.role)).map((p) => p.id);
    case 'users':
      return [...source.userIds];
    case 'group':
      return [...(directory.groups[source.group] ?? [])];
  }
}

function describeSource(source: ApproverSource): string {
  switch (source.kind) {
    case 'requester_manager':
      return "the requester's manager";
    case 'department_head':
      return 'the department head';
    case 'role_in_department':
      return `the ${source.role} of department ${source.departmentId}`;
    case 'users':
      return 'the named approvers';
    case 'group':
      return `group ${source.group}`;
  }
}

/**
 * Who a step with nobody eligible moves up to: the first manager up the requester's chain,
 * else the head of the requester's department, else an admin (never the requester).
 */
function escalationTarget(requester: DirectoryPerson, directory: ApprovalDirectory): { id: number; who: string } | null {
  const byId = new Map(directory.people.map((p) => [p.id, p]));
  const seen = new Set<number>([requester.id]);
  for (let id = requester.managerId; id !== null && !seen.has(id); id = byId.get(id)?.managerId ?? null) {
    seen.add(id);
    if (byId.has(id)) return { id, who: `the next manager up, ${byId.get(id)!.name}` };
  }
  const head = requester.departmentId === null ? null : directory.departmentHeads[requester.departmentId] ?? null;
  if (head !== null && head !== requester.id) return { id: head, who: `the department head, ${byId.get(head)?.name ?? `user ${head}`}` };
  const admin = directory.people.find((p) => p.id !== requester.id && p.roles.includes('admin'));
  return admin ? { id: admin.id, who: `an admin, ${admin.name}` } : null;
}

/**
 * Resolves a rule into concrete steps, with what was done about steps the org chart left
 * without an eligible approver. Nobody approves their own ticket: the requester is taken
 * off every step. A step left with nobody follows its rule's `whenNobodyEligible`
 * (escalate by default; skip). Consecutive steps with the same single approver are kept:
 * each is a separate sign-off.
 */
export function resolveChainWithAdjustments(
  rule: ApprovalRule | null,
  customFields: Record<string, unknown>,
  requesterId: number,
  directory: ApprovalDirectory,
): { steps: ResolvedStep[]; adjustments: StepAdjustment[] } {
  const requester = directory.people.find((p) => p.id === requesterId);
  if (!requester) throw new ApprovalConfigError('requesterId', `requester ${requesterId} is not in the directory`);
  const steps: ResolvedStep[] = [];
  const adjustments: StepAdjustment[] = [];
  stepsFor(rule, customFields).forEach((step, index) => {
    const resolved = [...new Set(approversOf(step.approvers, requester, directory))];
    let approverIds = resolved.filter((id) => id !== requesterId);
    if (approverIds.length === 0) {
      const why = resolved.length > 0 ? `the only approver, ${describeSource(step.approvers)}, is the requester` : `${describeSource(step.approvers)} resolves to nobody for ${requester.name}`;
      const target = step.whenNobodyEligible === 'skip' ? null : escalationTarget(requester, directory);
      if (!target) {
        const reason = step.whenNobodyEligible === 'skip' ? `${why}; the rule skips such a step` : `${why}, and nobody above may approve it; the step is skipped`;
        adjustments.push({ step: index, name: step.name, resolution: 'skipped', reason });
        return;
      }
      approverIds = [target.id];
      adjustments.push({ step: index, name: step.name, resolution: 'escalated', reason: `${why}; moved up to ${target.who}`, approverIds });
    }
    const required = step.mode === 'any' ? 1 : step.mode === 'all' ? approverIds.length : Math.min(step.quorum ?? 1, approverIds.length);
    steps.push({
      name: step.name,
      approverIds,
      required,
      mode: step.mode,
      remindAfterHours: step.remindAfterHours ?? null,
      escalateAfterHours: step.escalateAfterHours ?? null,
    });
  });
  return { steps, adjustments };
}

/** The concrete steps of a rule (see `resolveChainWithAdjustments` for what happens to steps with nobody eligible). */
export function resolveChain(rule: ApprovalRule | null, customFields: Record<string, unknown>, requesterId: number, directory: ApprovalDirectory): ResolvedStep[] {
  return resolveChainWithAdjustments(rule, customFields, requesterId, directory).steps;
}

/** Whom an approver's decisions currently go to, following standing delegations on `isoDate`. */
export function delegateOn(approverId: number, isoDate: string, delegations: StandingDelegation[]): number | null {
  const active = delegations.find((d) => d.fromUserId === approverId && d.startsOn <= isoDate && isoDate <= d.endsOn);
  return active ? active.toUserId : null;
}

export type Decision = 'approve' | 'reject';

export interface StepDecision {
  approverId: number;
  actedBy: number;
  decision: Decision;
  reason: string | null;
  at: string;
}

export interface StepState extends ResolvedStep {
  /** Ad-hoc delegations: approver → delegate (recorded when an approver hands the step on). */
  delegatedTo: Record<number, number>;
  decisions: StepDecision[];
  startedAt: string | null;
  remindedAt: string | null;
  escalatedAt: string | null;
  /** Business minutes the step stood still while information was requested (absent: none, or a ticket from before the pause). */
  pausedMinutes?: number;
}

export interface ChainState {
  steps: StepState[];
  current: number;
  outcome: 'pending' | 'approved' | 'rejected';
  /** Set while an approver waits on the requester; the same step resumes on their reply. */
  infoRequest: { approverId: number; question: string; at: string } | null;
}

export function startChain(steps: ResolvedStep[], now: Date): ChainState {
  return {
    steps: steps.map((s, i) => ({ ...s, delegatedTo: {}, decisions: [], startedAt: i === 0 ? now.toISOString() : null, remindedAt: null, escalatedAt: null })),
    current: 0,
    outcome: steps.length === 0 ? 'approved' : 'pending',
    infoRequest: null,
  };
}

export type ApprovalRefusal = { code: 'FORBIDDEN' | 'ILLEGAL' | 'INVALID'; message: string; field?: string };

/**
 * The approver slot this user may act for on the current step (their own, or one they are
 * delegate of, by hand-over or standing delegation), or a refusal saying why not.
 */
export function actingSlot(chain: ChainState, userId: number, requesterId: number, isoDate: string, delegations: StandingDelegation[]): number | ApprovalRefusal {
  if (chain.outcome !== 'pending') return { code: 'ILLEGAL', message: `The approval chain is already ${chain.outcome}` };
  if (userId === requesterId) return { code: 'FORBIDDEN', message: 'Nobody approves their own ticket' };
  const step = chain.steps[chain.current]!;
  const decided = new Set(step.decisions.map((d) => d.approverId));
  const slots = step.approverIds.filter((approver) => {
    const handedTo = step.delegatedTo[approver];
    if (handedTo !== undefined) return handedTo === userId;
    return approver === userId || delegateOn(approver, isoDate, delegations) === userId;
  });
  if (slots.length === 0) return { code: 'FORBIDDEN', message: 'Only the assigned approver or their delegate may act on this step' };
  // Someone who approves in their own right and as a delegate fills their own slot first.
  const ordered = [...slots].sort((a, b) => Number(b === userId) - Number(a === userId));
  return ordered.find((s) => !decided.has(s)) ?? ordered[0]!;
}

/** Whether this user already approved in the chain: a repeated click is then a no-op, not an error. */
export function alreadyApproved(chain: ChainState, userId: number): boolean {
  return chain.steps.slice(0, chain.current + 1).some((s) => s.decisions.some((d) => d.actedBy === userId && d.decision === 'approve'));
}

function approvals(step: StepState): number {
  return step.decisions.filter((d) => d.decision === 'approve').length;
}

/** Records a decision; a repeated approve by the same slot changes nothing. */
export function decideStep(chain: ChainState, slot: number, actedBy: number, decision: Decision, reason: string | null, now: Date): { chain: ChainState; changed: boolean } {
  const step = chain.steps[chain.current]!;
  if (step.decisions.some((d) => d.approverId === slot)) return { chain, changed: false };
  const decided: StepState = { ...step, decisions: [...step.decisions, { approverId: slot, actedBy, decision, reason, at: now.toISOString() }] };
  const steps = chain.steps.map((s, i) => (i === chain.current ? decided : s));
  if (decision === 'reject') return { chain: { ...chain, steps, outcome: 'rejected', infoRequest: null }, changed: true };
  if (approvals(decided) < decided.required) return { chain: { ...chain, steps }, changed: true };
  const next = chain.current + 1;
  if (next >= steps.length) return { chain: { ...chain, steps, outcome: 'approved', infoRequest: null }, changed: true };
  steps[next] = { ...steps[next]!, startedAt: now.toISOString() };
  return { chain: { ...chain, steps, current: next, infoRequest: null }, changed: true };
}

export function handOver(chain: ChainState, slot: number, toUserId: number, requesterId: number): ChainState | ApprovalRefusal {
  if (toUserId === requesterId) return { code: 'INVALID', field: 'toUserId', message: 'A step cannot be delegated to the requester' };
  const step = chain.steps[chain.current]!;
  if (step.approverIds.includes(toUserId) && toUserId !== slot) return { code: 'INVALID', field: 'toUserId', message: 'That person already approves this step' };
  const steps = chain.steps.map((s, i) => (i === chain.current ? { ...s, delegatedTo: { ...s.delegatedTo, [slot]: toUserId } } : s));
  return { ...chain, steps };
}

/** After the step's timeout: each undecided approver's manager joins the step. */
export function escalateStep(chain: ChainState, directory: ApprovalDirectory, requesterId: number, now: Date): { chain: ChainState; added: number[] } {
  const step = chain.steps[chain.current]!;
  const decided = new Set(step.decisions.map((d) => d.approverId));
  const added = step.approverIds
    .filter((id) => !decided.has(id))
    .map((id) => directory.people.find((p) => p.id === id)?.managerId ?? null)
    .filter((id): id is number => id !== null && id !== requesterId && !step.approverIds.includes(id));
  const unique = [...new Set(added)];
  const escalated: StepState = { ...step, approverIds: [...step.approverIds, ...unique], escalatedAt: now.toISOString() };
  // Escalation widens who may decide; it does not raise how many must agree.
  return { chain: { ...chain, steps: chain.steps.map((s, i) => (i === chain.current ? escalated : s)) }, added: unique };
}

/** "Step 2 of 3, waiting on Finance committee (1 of 3 approved)". */
export function describeChain(chain: ChainState, names: (id: number) => string): string {
  if (chain.outcome !== 'pending') return `Approval ${chain.outcome}`;
  const step = chain.steps[chain.current]!;
  const decided = new Set(step.decisions.map((d) => d.approverId));
  const waitingOn = step.approverIds.filter((id) => !decided.has(id)).map(names).join(', ');
  const parts = [`Step ${chain.current + 1} of ${chain.steps.length}: ${step.name}`, `waiting on ${waitingOn || 'nobody'}`, `${approvals(step)} of ${step.required} approved`];
  if (chain.infoRequest) parts.push(`information requested from the requester at ${chain.infoRequest.at}`);
  if (step.remindedAt) parts.push(`reminder sent at ${step.remindedAt}`);
  return parts.join(' · ');
}

/** An approver needs more from the requester: the chain waits on the same step. */
export function requestInfo(chain: ChainState, slot: number, question: string, now: Date): ChainState {
  return { ...chain, infoRequest: { approverId: slot, question, at: now.toISOString() } };
}

/** The requester answered: the same step resumes where it was. */
export function answerInfo(chain: ChainState): ChainState {
  return { ...chain, infoRequest: null };
}
