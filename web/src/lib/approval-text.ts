import type { ChainState } from '$contract/types';

/** "Step 2 of 3, waiting on Finance committee, 1 of 3 approved": where a chain stands, in one line. */
export function chainText(chain: ChainState): string {
	if (chain.outcome === 'approved') return 'Approved at every step';
	if (chain.outcome === 'rejected') return 'Rejected';
	const step = chain.steps[chain.current];
	if (!step) return 'Waiting';
	const approved = step.decisions.filter((d) => d.decision === 'approve').length;
	const required = step.mode === 'all' ? step.approverIds.length : step.required;
	const waiting = chain.infoRequest ? "waiting on the requester's answer" : `waiting on ${step.name}`;
	return `Step ${chain.current + 1} of ${chain.steps.length}, ${waiting}, ${approved} of ${required} approved`;
}
