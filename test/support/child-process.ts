import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export const ROOT = path.resolve(__dirname, '../..');
/**
 * `node --import tsx` runs the TypeScript entry in ONE process. The `tsx` binary forks a
 * second node underneath, so a SIGKILL to it would orphan the real service and a
 * "killed" worker would keep polling.
 */
export const TS_NODE_ARGS = ['--import', 'tsx'];

export interface RunningChild {
  child: ChildProcess;
  /** Resolves with the first stdout line that parses as JSON. */
  firstJsonLine: Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs a TypeScript entry point as its own process, as the real services run. */
export function runTs(entry: string, env: NodeJS.ProcessEnv, options: { logPrefix?: string } = {}): RunningChild {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, path.join(ROOT, entry)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    if (process.env.TEST_CHILD_LOGS) process.stderr.write(`${options.logPrefix ?? entry}: ${chunk}`);
  });
  const firstJsonLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (process.env.TEST_CHILD_LOGS) process.stderr.write(`${options.logPrefix ?? entry}: ${line}\n`);
      try {
        const parsed = JSON.parse(line) as unknown;
        if (parsed && typeof parsed === 'object') resolve(parsed as Record<string, unknown>);
      } catch {
        // Ordinary log output; keep waiting for the JSON line.
      }
    });
    void exited.then(() => reject(new Error(`${entry} exited before it was ready:\n${stderr}`)));
  });
  return {
    child,
    firstJsonLine,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
