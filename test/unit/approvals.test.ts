import {
  actingSlot,
  alreadyApproved,
  answerInfo,
  decideStep,
  describeChain,
  escalateStep,
  handOver,
  requestInfo,
  resolveChain,
  resolveChainWithAdjustments,
  startChain,
  type ApprovalDirectory,
  type ApprovalRule,
  type ChainState,
} from '../../workflows/domain/approvals';

// Emma (1) → manager Mark (3) → CFO Carla (4); Finance (dept 4) is headed by Mark.
const directory: ApprovalDirectory = {
  people: [
    { id: 1, name: 'Emma', managerId: 3, departmentId: 4, roles: ['requester'] },
    { id: 3, name: 'Mark', managerId: 4, departmentId: 4, roles: ['manager'] },
    { id: 4, name: 'Carla', managerId: null, departmentId: 4, roles: ['manager'] },
    { id: 9, name: 'Dana', managerId: 4, departmentId: 1, roles: ['manager'] },
    { id: 20, name: 'Fin A', managerId: 4, departmentId: 4, roles: [] },
    { id: 21, name: 'Fin B', managerId: 4, departmentId: 4, roles: [] },
    { id: 22, name: 'Fin C', managerId: 4, departmentId: 4, roles: [] },
  ],
  departmentHeads: { 4: 4, 1: 9 },
  groups: { 'finance-committee': [20, 21, 22] },
  delegations: [{ fromUserId: 3, toUserId: 9, startsOn: '2026-11-20', endsOn: '2026-11-27' }],
};

// Seed 004: < 1,000 manager; 1,000–5,000 manager then department head; > 5,000 adds the finance committee (all).
const purchaseRule: ApprovalRule = {
  kind: 'conditional',
  field: 'amount',
  branches: [
    { below: 1000, steps: [{ name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any' }] },
    {
      min: 1000,
      below: 5000.01,
      steps: [
        { name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any' },
        { name: 'Department head', approvers: { kind: 'department_head' }, mode: 'any' },
      ],
    },
    {
      min: 5000.01,
      steps: [
        { name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any' },
        { name: 'Department head', approvers: { kind: 'department_head' }, mode: 'any' },
        { name: 'Finance committee', approvers: { kind: 'group', group: 'finance-committee' }, mode: 'all' },
      ],
    },
  ],
};

const now = new Date('2026-11-23T10:00:00Z');
const today = '2026-11-23';
const chainFor = (amount: number): ChainState => startChain(resolveChain(purchaseRule, { amount }, 1, directory), now);

function approveAs(chain: ChainState, userId: number): ChainState {
  const slot = actingSlot(chain, userId, 1, today, []);
  if (typeof slot !== 'number') throw new Error(slot.message);
  return decideStep(chain, slot, userId, 'approve', null, now).chain;
}

describe('approval chains', () => {
  test.each([
    [500, [['Manager', [3]]]],
    [2500, [['Manager', [3]], ['Department head', [4]]]],
    [12000, [['Manager', [3]], ['Department head', [4]], ['Finance committee', [20, 21, 22]]]],
  ])('when the amount is %d, then the right approvers are chosen', (amount, expected) => {
    expect(resolveChain(purchaseRule, { amount }, 1, directory).map((s) => [s.name, s.approverIds])).toEqual(expected);
  });

  test('when the requester would approve their own ticket, then they are replaced by their manager', () => {
    const steps = resolveChain({ kind: 'chain', steps: [{ name: 'Head', approvers: { kind: 'department_head' }, mode: 'any' }] }, {}, 3, {
      ...directory,
      departmentHeads: { 4: 3 },
    });
    expect(steps[0]!.approverIds).toEqual([4]);
  });

  test('when the requester tries to approve, then it is refused', () => {
    expect(actingSlot(chainFor(500), 1, 1, today, [])).toMatchObject({ code: 'FORBIDDEN', message: 'Nobody approves their own ticket' });
  });

  test('when someone who is not an approver acts, then it is refused', () => {
    expect(actingSlot(chainFor(500), 20, 1, today, [])).toMatchObject({ code: 'FORBIDDEN' });
  });

  test('when the finance committee must all approve, then the chain completes only with the last of them', () => {
    let chain = approveAs(approveAs(chainFor(12000), 3), 4);
    expect(chain.current).toBe(2);
    chain = approveAs(approveAs(chain, 20), 21);
    expect(chain.outcome).toBe('pending');
    expect(describeChain(chain, (id) => directory.people.find((p) => p.id === id)!.name)).toBe('Step 3 of 3: Finance committee · waiting on Fin C · 2 of 3 approved');
    expect(approveAs(chain, 22).outcome).toBe('approved');
  });

  test('when step 2 rejects, then the chain ends rejected with the reason', () => {
    const chain = approveAs(chainFor(12000), 3);
    const slot = actingSlot(chain, 4, 1, today, []) as number;
    const { chain: rejected } = decideStep(chain, slot, 4, 'reject', 'Over budget', now);
    expect(rejected.outcome).toBe('rejected');
    expect(rejected.steps[1]!.decisions).toEqual([{ approverId: 4, actedBy: 4, decision: 'reject', reason: 'Over budget', at: now.toISOString() }]);
    expect(actingSlot(rejected, 20, 1, today, [])).toMatchObject({ code: 'ILLEGAL' });
  });

  test('when an approver repeats an approval, then nothing changes', () => {
    const committee = approveAs(approveAs(approveAs(chainFor(12000), 3), 4), 20);
    const again = decideStep(committee, 20, 20, 'approve', null, now);
    expect(again.changed).toBe(false);
    expect(again.chain).toBe(committee);
    // The manager's step is over; their second click is recognised rather than refused.
    expect(alreadyApproved(committee, 3)).toBe(true);
    expect(alreadyApproved(committee, 21)).toBe(false);
  });

  test('when a standing delegate acts, then the record says on whose behalf', () => {
    const chain = chainFor(500);
    const slot = actingSlot(chain, 9, 1, today, directory.delegations);
    expect(slot).toBe(3);
    const { chain: approved } = decideStep(chain, slot as number, 9, 'approve', null, now);
    expect(approved.steps[0]!.decisions[0]).toMatchObject({ approverId: 3, actedBy: 9 });
    expect(actingSlot(chainFor(500), 9, 1, '2026-12-01', directory.delegations)).toMatchObject({ code: 'FORBIDDEN' });
  });

  test('when an approver hands the step to someone, then only that person may act for them', () => {
    const handed = handOver(chainFor(500), 3, 20, 1) as ChainState;
    expect(actingSlot(handed, 20, 1, today, [])).toBe(3);
    expect(actingSlot(handed, 3, 1, today, [])).toMatchObject({ code: 'FORBIDDEN' });
    expect(handOver(chainFor(500), 3, 1, 1)).toMatchObject({ code: 'INVALID', field: 'toUserId' });
  });

  test('when information is requested and answered, then the same step resumes', () => {
    const chain = approveAs(chainFor(2500), 3);
    const waiting = requestInfo(chain, 4, 'Which cost centre?', now);
    expect(waiting.infoRequest).toMatchObject({ approverId: 4, question: 'Which cost centre?' });
    const resumed = answerInfo(waiting);
    expect(resumed.current).toBe(1);
    expect(approveAs(resumed, 4).outcome).toBe('approved');
  });

  test("when a step times out, then the undecided approver's manager may decide too", () => {
    const { chain, added } = escalateStep(chainFor(500), directory, 1, now);
    expect(added).toEqual([4]);
    expect(approveAs(chain, 4).outcome).toBe('approved');
  });

  test('when the amount is missing for a conditional rule, then the field is named', () => {
    expect(() => resolveChain(purchaseRule, {}, 1, directory)).toThrow(expect.objectContaining({ field: 'customFields.amount' }));
  });
});

describe('steps the org chart leaves with nobody eligible', () => {
  const withAdmin: ApprovalDirectory = { ...directory, people: [...directory.people, { id: 15, name: 'Ada', managerId: null, departmentId: 1, roles: ['admin'] }] };
  const CARLA = 4;

  test('when a department head with no manager raises a purchase request, then each step moves up to an admin and says why, instead of refusing', () => {
    const { steps, adjustments } = resolveChainWithAdjustments(purchaseRule, { amount: 2500 }, CARLA, withAdmin);
    expect(steps.map((s) => s.approverIds)).toEqual([[15], [15]]);
    expect(adjustments).toEqual([
      { step: 0, name: 'Manager', resolution: 'escalated', reason: "the requester's manager resolves to nobody for Carla; moved up to an admin, Ada", approverIds: [15] },
      { step: 1, name: 'Department head', resolution: 'escalated', reason: 'the only approver, the department head, is the requester; moved up to an admin, Ada', approverIds: [15] },
    ]);
  });

  test('when the only approver named is the requester, then the step moves up to the next manager', () => {
    const rule: ApprovalRule = { kind: 'chain', steps: [{ name: 'Owner', approvers: { kind: 'users', userIds: [1] }, mode: 'any' }] };
    const { steps, adjustments } = resolveChainWithAdjustments(rule, {}, 1, directory);
    expect(steps[0]!.approverIds).toEqual([3]);
    expect(adjustments[0]).toMatchObject({ resolution: 'escalated', reason: 'the only approver, the named approvers, is the requester; moved up to the next manager up, Mark' });
  });

  test('when the rule says skip, then the step is left out with its reason', () => {
    const rule: ApprovalRule = {
      kind: 'chain',
      steps: [
        { name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any', whenNobodyEligible: 'skip' },
        { name: 'Committee', approvers: { kind: 'group', group: 'finance-committee' }, mode: 'all' },
      ],
    };
    const { steps, adjustments } = resolveChainWithAdjustments(rule, {}, CARLA, withAdmin);
    expect(steps.map((s) => s.name)).toEqual(['Committee']);
    expect(adjustments).toEqual([{ step: 0, name: 'Manager', resolution: 'skipped', reason: "the requester's manager resolves to nobody for Carla; the rule skips such a step" }]);
  });

  test('when nobody at all may approve, then the step is skipped and said so, never refused', () => {
    const { steps, adjustments } = resolveChainWithAdjustments(purchaseRule, { amount: 500 }, CARLA, directory);
    expect(steps).toEqual([]);
    expect(adjustments[0]).toMatchObject({ resolution: 'skipped', reason: "the requester's manager resolves to nobody for Carla, and nobody above may approve it; the step is skipped" });
  });
});
