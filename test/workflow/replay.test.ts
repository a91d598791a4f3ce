import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../temporal/worker';

const HISTORIES = path.resolve(__dirname, '../histories');
const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
// Histories of the workflows beside the ticket's: the negative control changes the ticket workflow only.
const ticketFiles = files.filter((f) => !f.includes('email-outbox-sweep') && !f.startsWith('email-delivery') && !f.startsWith('fan-out-') && !f.startsWith('person-deactivation-'));
const load = (file: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));

let workflowBundle: WorkflowBundleWithSourceMap;
let changedBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode(WORKFLOW_BUNDLE_OPTIONS);
  changedBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/changed-ticket-workflow') });
}, 120_000);

describe('recorded ticket histories', () => {
  test('when the committed histories exist, then there are representative ones to replay, of every kind the issue names', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const kind of ['continue-as-new-run-1', 'continue-as-new-run-2', 'request-info', 'note-mentions', 'fields-edited', 'email-outbox-sweep', 'membership-joined', 'fan-out-team-membership', 'person-deactivation-hand-over', 'notifications-batched', 'due-timers-kept', 'due-timers-fire-on-time', 'email-delivery-local-send', 'email-delivery-activity-send', 'all-earlier-patches-', 'notify-with-projection-', 'calendar-version-kept']) {
      expect(files.some((f) => f.includes(kind))).toBe(true);
    }
  });

  // A failure here means a workflow change would break running tickets: guard it with patched().
  test.each(files)('when %s is replayed against the current workflow code, then it is deterministic', async (file) => {
    await Worker.runReplayHistory({ workflowBundle }, load(file), file.replace(/\.json$/, ''));
  });

  // One replay worker for them all, as a worker runs many tickets on one thread: the preloaded
  // modules (temporal/worker.ts) are shared, so each history replays with the calendar memo the
  // ones before it filled. Sharing must change no decision.
  test('when every history is replayed one after another in one worker, sharing its preloaded modules, then each is deterministic', async () => {
    const results: Array<{ workflowId: string; error?: unknown }> = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, files.map((file) => ({ workflowId: file.replace(/\.json$/, ''), history: load(file) })))) {
      results.push(result);
    }
    expect(results.map((r) => r.workflowId)).toEqual(files.map((file) => file.replace(/\.json$/, '')));
    expect(results.filter((r) => r.error !== undefined).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
  }, 120_000);

  // The negative control: the same histories against a workflow with an unguarded change must fail.
  test.each(ticketFiles)('when %s is replayed against a deliberately changed workflow, then replay fails with a determinism violation', async (file) => {
    await expect(Worker.runReplayHistory({ workflowBundle: changedBundle }, load(file), file.replace(/\.json$/, ''))).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
