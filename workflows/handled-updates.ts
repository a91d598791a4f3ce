import type { HandledUpdate } from './definitions';

/** How many handled update ids a ticket carries across continue-as-new, newest kept. */
export const HANDLED_UPDATES_KEPT = 500;
/** How long a handled id is remembered: far longer than any client retries the same request. */
export const HANDLED_UPDATES_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** A digest as api/bounded-temporal.ts writes it: 22 base64url characters after the last `#`. */
const DIGESTED = /^(.*)#[A-Za-z0-9_-]{22}$/;

/** The id without its request digest, or null for an id that has none. */
function keyedPart(id: string): string | null {
  return DIGESTED.exec(id)?.[1] ?? null;
}

/**
 * The update ids this ticket has handled. The server de-duplicates update ids within one
 * run only; a retried reply or action (same idempotency key, so the same update id) that
 * arrives after a continue-as-new would otherwise apply twice. Every update handler asks
 * `seen` first and answers a repeat with the current view, changing nothing.
 */
export class HandledUpdates {
  private readonly ids: Map<string, string>;

  constructor(carried: HandledUpdate[] = []) {
    this.ids = new Map(carried.map((u) => [u.id, u.at]));
  }

  /**
   * Whether this update was handled: its id, or for a keyed change the id an API from before
   * request digests gave the same key (`<action>:<user>:<key>`), so a retry that crosses that
   * deploy is answered, not applied twice.
   */
  seen(id: string | undefined): boolean {
    if (id === undefined) return false;
    if (this.ids.has(id)) return true;
    const keyed = keyedPart(id);
    return keyed !== null && this.ids.has(keyed);
  }

  /**
   * Whether a handled update carried the same client key with another request: the API names a
   * keyed change `<action>:<user>:<key>#<digest of the request>` (api/bounded-temporal.ts), so a
   * repeat is the same id, and a reused key with another body has the same keyed part.
   */
  conflicts(id: string | undefined): boolean {
    const keyed = id === undefined ? null : keyedPart(id);
    if (keyed === null) return false;
    for (const known of this.ids.keys()) if (known !== id && keyedPart(known) === keyed) return true;
    return false;
  }

  add(id: string | undefined, now: Date): void {
    if (id === undefined) return;
    this.ids.delete(id);
    this.ids.set(id, now.toISOString());
  }

  /** What the next run carries: the newest ids, none older than the window. */
  carry(now: Date): HandledUpdate[] {
    const oldest = now.getTime() - HANDLED_UPDATES_WINDOW_MS;
    return [...this.ids.entries()]
      .filter(([, at]) => new Date(at).getTime() >= oldest)
      .slice(-HANDLED_UPDATES_KEPT)
      .map(([id, at]) => ({ id, at }));
  }
}
