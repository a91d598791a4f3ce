import type { Bench } from '../context';
import { percentile, round, sleep } from '../lib';

/** Demo staff who work their team's queue in the mixed load; mark approves the purchases of everyone he manages. */
const AGENTS = ['alex', 'sam', 'lee', 'nina', 'harper', 'frank', 'fiona'];
const APPROVER = 'mark';

interface Tally {
  latencies: Map<string, number[]>;
  errors: number;
  errorSamples: string[];
  operations: number;
}

/**
 * `mixed_1000_errors`: 1,000 people at once for `sizes.mixedMs` — the demo directory plus
 * requesters added to Finance (manager: Mark) up to `sizes.mixedUsers`, each signed in at the
 * real issuer. Requesters browse their tickets and notifications, now and then create (4 % of
 * steps; a quarter are purchases, which wait on Mark) and reply on their own (6 %); agents
 * list their team's queue, open tickets and answer; Mark approves what waits on him. Each person thinks 10–30 s between steps and starts
 * at a random moment of the first 20 s. Any answer that is not a success is an error (5xx,
 * 429, a 4xx the person's step should not get, a network failure); p95 per endpoint is printed
 * and written with the figure.
 */
export async function mixedLoad(b: Bench): Promise<void> {
  if (!b.wanted('mixed_1000_errors')) return;
  const requesters = await addRequesters(b, b.sizes.mixedUsers - b.users.length);
  const everyone = [...b.users, ...requesters];
  const t = performance.now();
  await inBatches(everyone, 20, (who) => b.token(who));
  console.log(`[bench]   ${everyone.length} people signed in at the issuer in ${round((performance.now() - t) / 1000)} s`);

  const tally: Tally = { latencies: new Map(), errors: 0, errorSamples: [], operations: 0 };
  const call = async (endpoint: string, method: string, path: string, as: string, body?: unknown) => {
    const t0 = performance.now();
    tally.operations += 1;
    try {
      const result = await b.api(method, path, as, body);
      const list = tally.latencies.get(endpoint) ?? [];
      list.push(performance.now() - t0);
      tally.latencies.set(endpoint, list);
      return result;
    } catch (err) {
      tally.errors += 1;
      if (tally.errorSamples.length < 5) tally.errorSamples.push(`${endpoint}: ${String((err as Error).message).slice(0, 200)}`);
      return undefined;
    }
  };

  const own = new Map<string, number[]>();
  const end = performance.now() + b.sizes.mixedMs;
  /** A pause between steps, cut short at the end of the run. */
  const pauseUpTo = (ms: number) => sleep(Math.max(0, Math.min(ms, end - performance.now())));
  const think = () => pauseUpTo(10_000 + Math.random() * 20_000);
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

  const requester = async (who: string) => {
    const step = Math.random();
    const mine = own.get(who) ?? [];
    const ticket = pick(mine);
    if (step < 0.04) {
      const purchase = Math.random() < 0.25;
      const created = purchase
        ? await call('POST /tickets', 'POST', '/tickets', who, { title: 'Monitor for the new starter', description: 'Please order one', categoryId: b.categories.purchase, priority: 'medium', customFields: { amount: 240, vendor: 'Bench' } })
        : await call('POST /tickets', 'POST', '/tickets', who, { title: 'Laptop is slow', description: 'Since this morning', categoryId: b.categories.laptop, priority: 'medium', customFields: {} });
      if (created) own.set(who, [...mine, created.data.number]);
    } else if (step < 0.1 && ticket !== undefined) {
      await call('POST /tickets/:n/messages', 'POST', `/tickets/${ticket}/messages`, who, { body: 'Any news on this one?', visibility: 'public' });
    } else if (step < 0.35 && ticket !== undefined) {
      await call('GET /tickets/:n', 'GET', `/tickets/${ticket}`, who);
    } else if (step < 0.5) {
      await call('GET /notifications/unread-count', 'GET', '/notifications/unread-count', who);
    } else if (step < 0.6) {
      await call('GET /notifications', 'GET', '/notifications', who);
    } else {
      await call('GET /tickets?scope=mine', 'GET', '/tickets?scope=mine&limit=20', who);
    }
  };
  const agent = async (who: string) => {
    const queue = await call('GET /tickets?scope=team', 'GET', '/tickets?scope=team&limit=20&status=assigned,in_progress', who);
    const ticket = pick((queue?.data ?? []) as Array<{ number: number }>);
    if (!ticket) return;
    const detail = await call('GET /tickets/:n', 'GET', `/tickets/${ticket.number}`, who);
    if (detail?.data?.canReply && Math.random() < 0.4) await call('POST /tickets/:n/messages', 'POST', `/tickets/${ticket.number}/messages`, who, { body: 'Looking into it now.', visibility: 'public' });
  };
  const approver = async (who: string) => {
    const pending = await call('GET /approvals/pending', 'GET', '/approvals/pending', who);
    const first = (pending?.data ?? [])[0] as { ticket: { number: number }; step: number } | undefined;
    if (first) await call('POST /tickets/:n/approval/approve', 'POST', `/tickets/${first.ticket.number}/approval/approve`, who, { step: first.step });
  };

  const started = performance.now();
  await Promise.all(
    everyone.map(async (who) => {
      await sleep(Math.random() * 20_000);
      const step = who === APPROVER ? approver : AGENTS.includes(who) ? agent : requester;
      while (performance.now() < end) {
        await step(who);
        if (who === APPROVER) await pauseUpTo(3_000 + Math.random() * 4_000);
        else await think();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const perEndpoint = [...tally.latencies.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([endpoint, values]) => `${endpoint} n=${values.length} p95=${round(percentile(values, 95))}`);
  for (const line of perEndpoint) console.log(`[bench]   mixed: ${line}`);
  b.record(
    { name: 'mixed_1000_errors', unit: 'errors', value: tally.errors, baseline: null, target: { max: 0 } },
    `${everyone.length} people, ${tally.operations} requests in ${round(seconds)} s (${round(tally.operations / seconds)}/s); p95 per endpoint: ${perEndpoint.join('; ')}${tally.errorSamples.length ? `; first errors: ${tally.errorSamples.join(' | ')}` : ''}`,
  );
}

/** Adds `count` requesters to Finance, managed by Mark, who can sign in at the local issuer (rows inserted directly, like the bench's read-table rows). */
async function addRequesters(b: Bench, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const { models } = b.db;
  const finance = (await models.Department.findOne({ where: { code: 'FIN' } }))!.get('id') as number;
  const mark = (await models.User.findOne({ where: { email: 'mark@example.com' } }))!.get('id') as number;
  const stamp = Date.now().toString(36);
  const keys = Array.from({ length: count }, (_, i) => `bench-${stamp}-${i}`);
  await models.User.bulkCreate(
    keys.map((key, i) => ({
      email: `${key}@example.com`,
      name: `Bench Person ${i}`,
      auth_subject: `local|${key}`,
      title: 'Employee, Finance',
      department_id: finance,
      manager_id: mark,
      location: 'Berlin',
      vip: false,
      roles: ['requester'],
      active: true,
      scim_managed: false,
      version: 1,
    })),
  );
  return keys;
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}
