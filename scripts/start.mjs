// `npm start`: install what is missing, then run the whole embedded stack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, ensureNodeModules, ensureWebBuild, requireSupportedNode, say } from './bootstrap.mjs';

requireSupportedNode();
try {
  ensureNodeModules();
  ensureWebBuild();
} catch (err) {
  say(String(err.message ?? err));
  process.exit(1);
}

const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'dev-stack.ts')], {
  cwd: ROOT,
  stdio: 'inherit',
});
// The stack handles Ctrl-C itself (stopping every child in order); don't die before it has.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
