import type { Client } from '@temporalio/client';
import { demoSubject } from '../lib/db/demo-org';
import { obtainAccessToken } from '../test/support/oidc-login';
import type { Stack } from '../test/support/stack';
import { cpuSeconds, percentile, round, type LoadResult } from './lib';

export type Target = { min_ratio: number } | { max_ratio: number } | { min: number } | { max: number } | null;
export interface Scenario {
  name: string;
  unit: string;
  value: number;
  baseline: number | null;
  target: Target;
}

export interface Sizes {
  c1: number;
  c10Ms: number;
  c50Ms: number;
  approve: number;
  lag: number;
  rows: number;
  listSamples: number;
  detailSamples: number;
  importRows: number;
  importMaxMs: number;
  flood: number;
  critical: number;
  /** Open tickets holding SLA timers while the lateness of other tickets' due points is measured. */
  slaOpen: number;
  /** Tickets whose breach falls due during that measurement. */
  slaProbes: number;
  /** Simulated people browsing, creating, replying and approving at once, and for how long. */
  mixedUsers: number;
  mixedMs: number;
}

export const AUDIENCE = 'https://api.ticketing.local';

/** What every scenario works with: the stack, signed-in callers, the recorder of figures. */
export interface Bench {
  stack: Stack;
  db: Stack['db'];
  client: Client;
  sizes: Sizes;
  full: boolean;
  users: string[];
  categories: { laptop: number; purchase: number };
  /** Every ticket created through the API by the bench, in order. */
  createdNumbers: number[];
  pids: { worker?: number; api?: number; temporal?: number };
  /** Each service's Prometheus endpoint, for counters a scenario reads before and after. */
  metricsUrls: { api: string; worker: string };
  token(who: string): Promise<string>;
  /** Calls the API as `who` (a demo key or a signed-in email); throws on a status outside `expect`. */
  api(method: string, urlPath: string, as: string, body?: unknown, expect?: number[]): Promise<any>;
  createAs(who: string, priority?: string, i?: number): Promise<number>;
  /** Runs `run` and prints each service's CPU share meanwhile, and its CPU per completed operation. */
  cpuDuring<T extends { elapsedMs: number; latencies: number[] }>(label: string, run: () => Promise<T>): Promise<T>;
  wanted(...names: string[]): boolean;
  record(s: Scenario, detail?: string): void;
  note(text: string): void;
}

export const summary = (r: LoadResult) =>
  `n=${r.latencies.length} err=${r.errors} p50=${round(percentile(r.latencies, 50))} p95=${round(percentile(r.latencies, 95))} p99=${round(percentile(r.latencies, 99))}${r.errorSamples[0] ? ` first error: ${r.errorSamples[0]}` : ''}`;

/** Tokens from the stack's real issuer, one sign-in per person, shared by every scenario. */
export function tokenSource(stack: Stack): (who: string) => Promise<string> {
  const tokens = new Map<string, Promise<string>>();
  return (who: string) => {
    if (!tokens.has(who)) {
      const person = who.includes('@') ? { email: who } : { sub: demoSubject(who) };
      tokens.set(
        who,
        obtainAccessToken({ issuerUrl: stack.issuerUrl, clientId: 'ticketing-portal', redirectUri: `${stack.webUrl}/auth/callback`, audience: AUDIENCE, ...person }).then((t) => t.accessToken),
      );
    }
    return tokens.get(who)!;
  };
}

export function cpuMeter(pids: Bench['pids']): Bench['cpuDuring'] {
  return async (label, run) => {
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const result = await run();
    const spent = Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - before[k]!] as const);
    const share = spent.map(([k, seconds]) => `${k} ${Math.round((seconds / (result.elapsedMs / 1000)) * 100)}%`).join(', ');
    // CPU per operation moves less than a rate with the machine's other load, so compare runs by it.
    const each = spent.map(([k, seconds]) => `${k} ${((seconds * 1000) / Math.max(1, result.latencies.length)).toFixed(1)}`).join(', ');
    console.log(`[bench]   CPU during ${label}: ${share} of one core; per completed operation (ms): ${each}`);
    return result;
  };
}

/** Statements each service has sent to the database so far, by kind (`ticketing_db_statements_total`). */
export type StatementCounts = Record<'api' | 'worker', Record<string, number>>;

export async function statementCounts(urls: Bench['metricsUrls']): Promise<StatementCounts> {
  const read = async (url: string) => {
    // The stack passes the caller's environment on, METRICS_TOKEN included.
    const response = await fetch(url, process.env.METRICS_TOKEN ? { headers: { authorization: `Bearer ${process.env.METRICS_TOKEN}` } } : {});
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    const counts: Record<string, number> = {};
    for (const m of (await response.text()).matchAll(/^ticketing_db_statements_total\{([^}]*)\} (\S+)$/gm)) {
      const kind = /kind="([^"]+)"/.exec(m[1]!)?.[1] ?? 'other';
      counts[kind] = (counts[kind] ?? 0) + Number(m[2]);
    }
    return counts;
  };
  const [api, worker] = await Promise.all([read(urls.api), read(urls.worker)]);
  return { api, worker };
}

/** after − before − what reading the counters itself costs (the read-model gauges query at scrape time). */
export function statementsBetween(before: StatementCounts, after: StatementCounts, scrapeCost: StatementCounts): StatementCounts {
  const diff = (service: 'api' | 'worker') => {
    const kinds = new Set([...Object.keys(before[service]), ...Object.keys(after[service])]);
    return Object.fromEntries([...kinds].map((k) => [k, (after[service][k] ?? 0) - (before[service][k] ?? 0) - (scrapeCost[service][k] ?? 0)]));
  };
  return { api: diff('api'), worker: diff('worker') };
}
