import { Router } from 'express';
import { principalOf } from '../auth';
import type { LiveFeed } from '../live-feed';

const HEARTBEAT_MS = 25_000;

/**
 * Server-sent events: `ticket` (with the feed id as the event id) whenever a ticket the
 * caller may see changes, `notification` when one arrives for them. A reconnecting
 * browser sends Last-Event-ID and is first told what it missed. The stream ends when the
 * access token expires, so a revoked or expired session does not keep listening.
 */
export function createLiveRouter({ feed }: { feed: LiveFeed }): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const user = principalOf(req);
    const header = req.get('Last-Event-ID') ?? '';
    const after = /^\d{1,15}$/.test(header) ? Number(header) : null;

    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const timers: NodeJS.Timeout[] = [];
    const close = () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      unsubscribe?.();
    };
    req.on('close', close);

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    const write = (text: string) => {
      if (!closed && !res.writableEnded) res.write(text);
    };
    write('retry: 3000\n\n');

    const exp = (req as unknown as { auth?: { payload?: { exp?: number } } }).auth?.payload?.exp;
    if (typeof exp === 'number') timers.push(setTimeout(() => res.end(), Math.max(0, exp * 1000 - Date.now())));
    timers.push(setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS));

    const stop = await feed.subscribe(
      {
        user,
        send: (row) => write(`id: ${row.id}\nevent: ticket\ndata: ${JSON.stringify({ number: row.ticketNumber, seq: row.seq })}\n\n`),
        notify: (id, ticketNumber) => write(`event: notification\ndata: ${JSON.stringify({ id, ticketNumber })}\n\n`),
        end: () => res.end(),
      },
      after,
    );
    if (closed) stop();
    else unsubscribe = stop;
  });

  return router;
}
