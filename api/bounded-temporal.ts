import crypto from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ApiError } from './errors';

/** The 503 for a change Temporal did not confirm in time: it was (probably) recorded and may still apply. */
function notConfirmed(ms: number, idempotencyKey: string | undefined): ApiError {
  const retry = idempotencyKey
    ? `Retry with the same Idempotency-Key (${idempotencyKey}) to get its result; the change will not be applied twice.`
    : 'Send an Idempotency-Key with such requests so a retry returns the first result instead of applying the change again.';
  return new ApiError(503, 'NOT_CONFIRMED', `The ticket engine did not confirm this change within ${Math.round(ms / 100) / 10} s (no worker may be running). It may still apply. ${retry}`);
}

const GRPC_FAILED_PRECONDITION = 9;

/** A change to a ticket as the client named it: the action and who (`prefix`), its key, what it asked. */
export interface KeyedChange {
  prefix: string;
  key: string | undefined;
  request: unknown;
}

/**
 * The Update id of a change: `prefix`, the client's key and a digest of the request, so a retry
 * is the same Update (answered once) and the key reused for another request is told apart by the
 * workflow (workflows/handled-updates.ts) and refused; without a key, an id of its own.
 */
export function updateIdOf({ prefix, key, request }: KeyedChange): string {
  if (key === undefined) return `${prefix}:${crypto.randomUUID()}`;
  const digest = crypto.createHash('sha256').update(JSON.stringify(request ?? null)).digest('base64url').slice(0, 22);
  return `${prefix}:${key}#${digest}`;
}

/**
 * Temporal refuses an Update (and an update-with-start) while the workflow's last task failed or
 * timed out, as one does when its worker dies mid-task, until a worker completes the retried
 * task. Nothing was recorded, so the same call is sent again; past the bound the caller gets the
 * 503 that asks for a retry.
 */
function isWorkflowNotReady(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; metadata?: { get?(key: string): unknown[] }; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code !== GRPC_FAILED_PRECONDITION) continue;
    const details = typeof e.metadata?.get === 'function' ? e.metadata.get('grpc-status-details-bin') : [];
    if (details.some((d) => Buffer.isBuffer(d) && d.includes('WorkflowNotReadyFailure'))) return true;
    if (typeof e.message === 'string' && e.message.includes('Workflow Task in failed state')) return true;
  }
  return false;
}

async function untilReady<T>(run: () => Promise<T>, signal: AbortSignal): Promise<T> {
  let pauseMs = 100;
  for (;;) {
    // A call begun after the bound could not be cancelled (the SDK listens for an abort still to come).
    signal.throwIfAborted();
    try {
      return await run();
    } catch (err) {
      if (signal.aborted || !isWorkflowNotReady(err)) throw err;
    }
    await pauseUnlessAborted(pauseMs, signal);
    pauseMs = Math.min(pauseMs * 2, 1_000);
  }
}

function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Temporal calls with a bound. A start or an Update with no worker polling is accepted by the
 * server and then waits for as long as the worker stays away; the caller gets a 503 instead, and
 * the abandoned calls are cancelled (the change itself stays recorded).
 */
export function createBoundedCalls(client: Client, timeoutMs: number) {
  async function run<T>(idempotencyKey: string | undefined, call: () => Promise<T>, retryNotReady: boolean): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(notConfirmed(timeoutMs, idempotencyKey));
        controller.abort();
      }, timeoutMs);
    });
    const work = client.withAbortSignal(controller.signal, () => (retryNotReady ? untilReady(call, controller.signal) : call()));
    // The cancelled call rejects too, after the 503 has been chosen; that rejection is expected.
    work.catch(() => {});
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
  /** A read (query, describe): not sent again, so the live views fall back at once. */
  const bounded = <T>(idempotencyKey: string | undefined, call: () => Promise<T>) => run(idempotencyKey, call, false);
  /** A change: refused while its workflow is not ready, it is sent again within the bound. */
  const confirmed = <T>(idempotencyKey: string | undefined, call: () => Promise<T>) => run(idempotencyKey, call, true);
  /** A ticket Update under one id however often it is sent (updateIdOf). */
  function update<Ret, Arg>(handle: WorkflowHandle, definition: UpdateDefinition<Ret, [Arg]>, arg: Arg, change: KeyedChange): Promise<Ret> {
    return confirmed(change.key, () => handle.executeUpdate(definition, { args: [arg], updateId: updateIdOf(change) }));
  }
  return { bounded, confirmed, update };
}
