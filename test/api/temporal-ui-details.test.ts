import crypto from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ticketWorkflowId } from '../../workflows/definitions';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

/**
 * What ops see of a live ticket in Temporal UI: the workflow's current details name people
 * (assignee, approvers waited on) and the next due instant with what it is for; each due-point
 * timer carries a summary saying what it waits for. Read through Temporal's own APIs, as the
 * UI reads them: the built-in metadata query and the history's TimerStarted events.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

async function raise(code: string, body: Record<string, unknown>) {
  const response = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { description: 'd', categoryId: await h.categoryId(code), ...body } });
  expect(response.status).toBe(201);
  return response.body.data as { number: number };
}

async function currentDetails(number: number): Promise<string> {
  const metadata = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

async function timerSummaries(number: number): Promise<string[]> {
  const history = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED)
    .map((e) => (e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never) : ''));
}

describe('Temporal UI for ops', () => {
  test('when a laptop ticket is assigned, then its current details name the assignee and the next due point, and its timer says what it waits for', async () => {
    const { number } = await raise('it-laptop', { title: 'Dock is dead', priority: 'high' });
    const assignee = await waitUntil('the ticket to be auto-assigned', async () => (await h.request('GET', `/tickets/${number}`, { as: 'ada' })).body.data.assigneeName as string | null | undefined);
    const details = await waitUntil('current details with the next due point', () => currentDetails(number), (text) => text.includes('Next due:'));
    expect(details).toContain(`Assignee: ${assignee}`);
    expect(details).toMatch(/Next due: \*\*first-response (warning|breach)/);
    expect(details).toMatch(/SLA policy #\d+ \(high\) v\d+ · calendar .+ v\d+/);
    const summaries = await waitUntil('a due-point timer in the history', () => timerSummaries(number), (found) => found.length > 0);
    expect(summaries[0]).toMatch(new RegExp(`^#${number} first-response (warning|breach).* at \\d{4}-\\d{2}-\\d{2}T`));
  });

  test('when a purchase waits on a manager, then its current details name the approver waited on and its timer is the approval reminder for them', async () => {
    const { number } = await raise('fin-purchase', { title: 'Licences', customFields: { amount: 800, vendor: 'Acme' } });
    const ticket = (await h.request('GET', `/tickets/${number}`, { as: 'ada' })).body.data;
    expect(ticket.status).toBe('pending_approval');
    const approverIds: number[] = ticket.approval.steps[ticket.approval.current].approverIds;
    const approvers = await h.db.models.User.findAll({ where: { id: approverIds } });
    const names = approvers.map((u) => u.get('name') as string);
    const details = await waitUntil('current details naming the approvers waited on', () => currentDetails(number), (text) => text.includes('waiting on'));
    for (const name of names) expect(details).toContain(name);
    expect(details).not.toMatch(/waiting on \d/);
    const summaries = await waitUntil('the approval timer in the history', () => timerSummaries(number), (found) => found.length > 0);
    expect(summaries.at(-1)).toContain(`approval reminder for ${names[0]}`);
  });
});
