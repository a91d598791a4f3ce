// `npm test`: install what is missing, run every Jest suite in band against real
// servers, and print the totals as one `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, ensureNodeModules, ensureWebBuild, requireSupportedNode, say } from './bootstrap.mjs';

// A warning, not a stop: the suite still says something useful on an older Node while a machine moves over.
requireSupportedNode({ warnOnly: true });
ensureNodeModules();
ensureWebBuild();

const label = process.env.TEST_LABEL ?? (process.env.DATABASE_URL?.startsWith('mysql') ? 'mysql' : 'sqlite');
const artifacts = path.join(ROOT, '.test-artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const resultsFile = path.join(artifacts, `jest-${label}.json`);
fs.rmSync(resultsFile, { force: true });

say(`running the test suites against ${label}…`);
// In band: each file starts its own Temporal server and database, and two cores are
// better spent on those than on parallel Jest workers.
const jest = spawnSync(
  path.join(ROOT, 'node_modules', '.bin', 'jest'),
  ['--runInBand', '--forceExit', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
  { cwd: ROOT, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
if (fs.existsSync(resultsFile)) {
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
}
console.log(`${label}: ${passed} passed, ${failed} failed`);
process.exit(jest.status === 0 && failed === 0 ? 0 : 1);
