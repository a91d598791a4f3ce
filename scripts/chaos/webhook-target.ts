import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookTarget {
  url: string;
  /** Pages answered 2xx, by idempotency key, with how many times each was accepted. */
  accepted(): Map<string, number>;
  /** Attempts refused while down. */
  refused(): number;
  /** When each ticket's first page was refused (epoch ms), by ticket number (from the page's idempotency key, `ticket-<n>:…`). */
  firstRefusalByTicket(): Map<number, number>;
  /** Answers `status` to every page until `up()`. */
  down(status?: number): void;
  up(): void;
  stop(): Promise<void>;
}

/** The on-call service (PagerDuty-like) the `page_oncall` escalation posts to; it can fail on demand. */
export async function startWebhookTarget(): Promise<WebhookTarget> {
  const accepted = new Map<string, number>();
  let refused = 0;
  const firstRefusal = new Map<number, number>();
  let failing: number | undefined;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      if (failing !== undefined) {
        refused += 1;
        const ticket = /ticket-(\d+)/.exec(key)?.[1];
        if (ticket !== undefined && !firstRefusal.has(Number(ticket))) firstRefusal.set(Number(ticket), Date.now());
        res.writeHead(failing).end();
        return;
      }
      accepted.set(key, (accepted.get(key) ?? 0) + 1);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pages`,
    accepted: () => accepted,
    refused: () => refused,
    firstRefusalByTicket: () => firstRefusal,
    down(status = 503) {
      failing = status;
    },
    up() {
      failing = undefined;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
