import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/**
 * Keeps one service process running for `npm start`: a child that exits while the stack is
 * not stopping is started again after a pause that doubles on each quick crash (so a service
 * that cannot start does not spin), and every exit and restart is logged. Without it a worker
 * that died left tickets waiting with nothing in the console to say why.
 */
export interface SupervisorOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Each line the child prints. */
  onLine: (line: string) => void;
  /** Supervisor events: exits and restarts. */
  log: (message: string) => void;
  /** First pause before a restart; doubled per consecutive quick crash up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran at least this long counts as healthy: the next crash starts from initialBackoffMs again. */
  healthyAfterMs?: number;
  /** Whether an exit now is restarted; the stack says no while it is still starting (a service that cannot start fails the start). */
  shouldRestart?: () => boolean;
}

export interface Supervised {
  readonly name: string;
  /** The running child (a new object after each restart). */
  child(): ChildProcess;
  /** How many times the child was restarted. */
  restarts(): number;
  /** Resolves when the current child is running (after a restart's pause, with the new child). */
  whenRestarted(count: number): Promise<ChildProcess>;
  /** Stops supervising, then the child: SIGTERM, SIGKILL after killAfterMs. */
  stop(killAfterMs?: number): Promise<void>;
}

export function supervise(options: SupervisorOptions): Supervised {
  const initial = options.initialBackoffMs ?? 1_000;
  const max = options.maxBackoffMs ?? 30_000;
  const healthyAfter = options.healthyAfterMs ?? 60_000;
  let stopping = false;
  let restarts = 0;
  let backoff = initial;
  let pending: NodeJS.Timeout | undefined;
  let current: ChildProcess;
  let exited: Promise<void>;
  const waiters: Array<{ count: number; resolve: (c: ChildProcess) => void }> = [];

  const start = () => {
    const startedAt = Date.now();
    const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    for (const stream of [child.stdout!, child.stderr!]) readline.createInterface({ input: stream }).on('line', options.onLine);
    exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        resolve();
        if (stopping) return;
        if (options.shouldRestart && !options.shouldRestart()) {
          options.log(`${options.name} exited (${signal ? `signal ${signal}` : `code ${code}`}) before the stack was up; not restarting`);
          return;
        }
        const ranMs = Date.now() - startedAt;
        if (ranMs >= healthyAfter) backoff = initial;
        const delay = backoff;
        backoff = Math.min(backoff * 2, max);
        options.log(`${options.name} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}) after ${(ranMs / 1000).toFixed(1)} s; restarting in ${(delay / 1000).toFixed(1)} s (restart ${restarts + 1})`);
        pending = setTimeout(() => {
          pending = undefined;
          if (stopping) return;
          restarts += 1;
          start();
          options.log(`${options.name} restarted (pid ${current.pid}, restart ${restarts})`);
          for (const waiter of waiters.filter((w) => w.count <= restarts)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(current);
          }
        }, delay);
      }),
    );
    // A spawn failure (missing executable) surfaces as an exit too; keep it from crashing the stack.
    child.once('error', (err) => options.log(`${options.name} could not run: ${err.message}`));
  };
  start();

  return {
    name: options.name,
    child: () => current,
    restarts: () => restarts,
    whenRestarted(count) {
      if (restarts >= count) return Promise.resolve(current);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async stop(killAfterMs = 15_000) {
      stopping = true;
      if (pending) clearTimeout(pending);
      const child = current;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
