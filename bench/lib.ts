import fs from 'node:fs';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

export interface LoadResult {
  latencies: number[];
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
}

/**
 * Runs `clients` loops of `op` until `durationMs` passed or `maxCount` operations started,
 * whichever comes first, and waits for those in flight. Bounded in time and in count.
 */
export async function runLoad(opts: { clients: number; durationMs: number; maxCount: number }, op: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (performance.now() < deadline && started < opts.maxCount) {
        const i = started++;
        const t = performance.now();
        try {
          await op(i);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push(String((err as Error)?.message ?? err).slice(0, 300));
        }
      }
    }),
  );
  return { latencies, errors, errorSamples, elapsedMs: performance.now() - t0 };
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory of a process in MB, from /proc (Linux). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The pid of the process whose command line contains every one of `parts` (the dev server, which the stack does not hand out). */
export function findPid(parts: string[]): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmd.includes(p))) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends the process (exit 2) if it is still running at `deadline` (epoch ms): every benchmark stops by itself. */
export function exitAtDeadline(deadline: number): void {
  setTimeout(() => {
    console.error('deadline passed; stopping');
    process.exit(2);
  }, deadline - Date.now()).unref();
}

/** A history event's time in epoch ms (server and clients share this machine's clock). */
export function eventMillis(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : Number.NaN;
}

/** Each phase's p50 / p95, in the order given: the notes' "where the time goes". */
export function phaseSummary(phases: Record<string, number[]>): string {
  return Object.entries(phases)
    .map(([name, values]) => `${name} ${round(percentile(values, 50))} / ${round(percentile(values, 95))}`)
    .join('; ');
}
