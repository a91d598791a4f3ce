import net from 'node:net';
import type { Readable } from 'node:stream';

/** A malware scan of one file's bytes. Throws when the scan could not be done (the file then stays blocked). */
export interface Scanner {
  scan(bytes: Readable): Promise<{ clean: true } | { clean: false; signature: string }>;
}

export class ScanFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanFailed';
  }
}

/**
 * ClamAV's daemon over TCP with the INSTREAM command: `zINSTREAM\0`, then chunks each
 * prefixed with their length as a 4-byte big-endian integer, then a zero length. clamd
 * answers one NUL-terminated line: `stream: OK`, `stream: <signature> FOUND`, or
 * `... ERROR` (e.g. `INSTREAM size limit exceeded. ERROR` past its StreamMaxLength).
 */
export class ClamdScanner implements Scanner {
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 60_000,
    /** clamd's own chunk limit is generous; smaller chunks keep memory flat. */
    private readonly chunkBytes = 64 * 1024,
  ) {}

  scan(bytes: Readable): Promise<{ clean: true } | { clean: false; signature: string }> {
    return new Promise((resolve, reject) => {
      let reply = '';
      let settled = false;
      const socket = net.createConnection({ host: this.host, port: this.port });
      const finish = (err: Error | null, value?: { clean: true } | { clean: false; signature: string }) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        bytes.destroy();
        if (err) reject(err);
        else resolve(value!);
      };
      socket.setTimeout(this.timeoutMs, () => finish(new ScanFailed(`clamd did not answer within ${this.timeoutMs} ms`)));
      socket.on('error', (err) => finish(new ScanFailed(`clamd at ${this.host}:${this.port} is unreachable: ${err.message}`)));
      socket.on('data', (data) => {
        reply += data.toString('utf8');
        const end = reply.indexOf('\0');
        if (end >= 0) finish(...parseReply(reply.slice(0, end)));
      });
      socket.on('end', () => {
        if (reply.trim()) finish(...parseReply(reply.replace(/\0/g, '')));
        else finish(new ScanFailed('clamd closed the connection without an answer'));
      });
      socket.on('connect', () => {
        void (async () => {
          try {
            socket.write('zINSTREAM\0');
            for await (const chunk of bytes as AsyncIterable<Buffer>) {
              for (let i = 0; i < chunk.length; i += this.chunkBytes) {
                const piece = chunk.subarray(i, i + this.chunkBytes);
                const length = Buffer.alloc(4);
                length.writeUInt32BE(piece.length, 0);
                // Respect back-pressure: clamd reads at its own pace.
                if (!socket.write(Buffer.concat([length, piece]))) await new Promise((r) => socket.once('drain', r));
                if (settled) return;
              }
            }
            socket.write(Buffer.alloc(4));
          } catch (err) {
            // clamd may stop reading and answer early (size limit): its reply, if any, wins.
            setTimeout(() => finish(new ScanFailed(`sending to clamd failed: ${(err as Error).message}`)), 200);
          }
        })();
      });
    });
  }
}

function parseReply(line: string): [Error | null, ({ clean: true } | { clean: false; signature: string })?] {
  const text = line.trim();
  if (/: OK$/.test(text)) return [null, { clean: true }];
  const found = /: (.+) FOUND$/.exec(text);
  if (found) return [null, { clean: false, signature: found[1]! }];
  return [new ScanFailed(`clamd could not scan the file: ${text}`)];
}
