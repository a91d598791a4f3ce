import { supervise, type Supervised } from '../../scripts/supervisor';

/**
 * Defect 3 (second half): under `npm start` a crashed service was never restarted. The
 * supervisor runs real child processes here and is judged by what it does to them.
 */
const NODE = process.execPath;
let supervised: Supervised | undefined;

afterEach(async () => {
  await supervised?.stop(2_000);
  supervised = undefined;
});

function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

describe('the dev-stack supervisor', () => {
  test('when a service is killed with SIGKILL, then it is restarted and the exit and restart are logged', async () => {
    const log: string[] = [];
    const lines: string[] = [];
    supervised = supervise({
      name: 'worker',
      command: NODE,
      args: ['-e', 'console.log("polling " + process.pid); setInterval(() => {}, 1000)'],
      cwd: process.cwd(),
      env: process.env,
      onLine: (line) => lines.push(line),
      log: (m) => log.push(m),
      initialBackoffMs: 100,
    });
    const first = supervised.child();
    await deadline(new Promise((r) => first.once('spawn', r)), 10_000, 'the first child to spawn');
    first.kill('SIGKILL');
    const second = await deadline(supervised.whenRestarted(1), 10_000, 'the restart after SIGKILL');
    expect(second.pid).not.toBe(first.pid);
    expect(second.exitCode).toBeNull();
    expect(log[0]).toMatch(/^worker exited unexpectedly \(signal SIGKILL\) after [\d.]+ s; restarting in 0\.1 s \(restart 1\)$/);
    expect(log[1]).toBe(`worker restarted (pid ${second.pid}, restart 1)`);
    await deadline(
      (async () => {
        while (!lines.includes(`polling ${second.pid}`)) await new Promise((r) => setTimeout(r, 20));
      })(),
      10_000,
      'the restarted child to print its first line',
    );
  });

  test('when a service keeps crashing at once, then each pause doubles up to the cap', async () => {
    const log: string[] = [];
    supervised = supervise({
      name: 'api',
      command: NODE,
      args: ['-e', 'process.exit(3)'],
      cwd: process.cwd(),
      env: process.env,
      onLine: () => {},
      log: (m) => log.push(m),
      initialBackoffMs: 100,
      maxBackoffMs: 400,
    });
    await deadline(supervised.whenRestarted(4), 20_000, 'four restarts');
    const pauses = log.filter((m) => m.includes('restarting in')).map((m) => /restarting in ([\d.]+) s/.exec(m)![1]);
    expect(pauses.slice(0, 4)).toEqual(['0.1', '0.2', '0.4', '0.4']);
    expect(log[0]).toMatch(/api exited unexpectedly \(code 3\)/);
  });

  test('when the stack stops, then the service is stopped and not restarted', async () => {
    const log: string[] = [];
    supervised = supervise({
      name: 'web',
      command: NODE,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      cwd: process.cwd(),
      env: process.env,
      onLine: () => {},
      log: (m) => log.push(m),
      initialBackoffMs: 50,
    });
    const child = supervised.child();
    await supervised.stop(2_000);
    expect(child.signalCode).toBe('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(supervised.restarts()).toBe(0);
    expect(log).toEqual([]);
  });

  test('when a service exits before the stack is up, then it is not restarted and that is logged', async () => {
    const log: string[] = [];
    supervised = supervise({
      name: 'identity',
      command: NODE,
      args: ['-e', 'process.exit(1)'],
      cwd: process.cwd(),
      env: process.env,
      onLine: () => {},
      log: (m) => log.push(m),
      initialBackoffMs: 50,
      shouldRestart: () => false,
    });
    const child = supervised.child();
    await deadline(new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r))), 10_000, 'the child to exit');
    await new Promise((r) => setTimeout(r, 300));
    expect(supervised.restarts()).toBe(0);
    expect(log).toEqual(['identity exited (code 1) before the stack was up; not restarting']);
  });
});
