// Plain JavaScript with no dependencies: this runs before `npm ci` has installed anything.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function say(message) {
  process.stderr.write(`\x1b[36m[ticketing]\x1b[0m ${message}\n`);
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

/** Installs the locked npm dependencies when they are missing or older than the lockfile. */
export function ensureNodeModules() {
  const lock = path.join(ROOT, 'package-lock.json');
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const fresh = fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs;
  if (fresh) return;
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
