import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../temporal/worker';

const HISTORIES = path.resolve(__dirname, '../histories');
const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
}, 60_000);

describe('recorded ticket histories', () => {
  test('when the committed histories exist, then there are representative ones to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  // A failure here means a workflow change would break running tickets: guard it with patched().
  test.each(files)('when %s is replayed against the current workflow code, then it is deterministic', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle }, history, file.replace(/\.json$/, ''));
  });
});
