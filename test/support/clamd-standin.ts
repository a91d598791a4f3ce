import net from 'node:net';
import type { AddressInfo } from 'node:net';

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

export interface ClamdStandIn {
  host: string;
  port: number;
  /** Byte counts of every stream scanned, in order. */
  scanned: number[];
  close(): Promise<void>;
}

/**
 * A local clamd that speaks the daemon's protocol as ClamAV documents it: `zPING`/`nPING`,
 * and `zINSTREAM`/`nINSTREAM` with length-prefixed chunks ending in a zero length. It
 * reports the EICAR test string as `Eicar-Test-Signature FOUND` and refuses streams over
 * its StreamMaxLength the way clamd does.
 */
export async function startClamdStandIn(options: { maxStreamBytes?: number; port?: number } = {}): Promise<ClamdStandIn> {
  const maxStreamBytes = options.maxStreamBytes ?? 30 * 1024 * 1024;
  const scanned: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    let command: { terminator: string } | undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const answer = (text: string) => {
      if (done) return;
      done = true;
      socket.end(`${text}${command?.terminator ?? '\0'}`);
    };
    socket.on('error', () => {});
    socket.on('data', (data) => {
      if (done) return;
      buffer = Buffer.concat([buffer, data]);
      if (!command) {
        const prefix = buffer.subarray(0, 1).toString();
        const terminator = prefix === 'z' ? '\0' : prefix === 'n' ? '\n' : undefined;
        if (!terminator) return answer('UNKNOWN COMMAND');
        const end = buffer.indexOf(terminator, 1);
        if (end < 0) return;
        const name = buffer.subarray(1, end).toString();
        buffer = buffer.subarray(end + 1);
        command = { terminator };
        if (name === 'PING') return answer('PONG');
        if (name !== 'INSTREAM') return answer('UNKNOWN COMMAND');
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          const body = Buffer.concat(chunks);
          scanned.push(body.length);
          return answer(body.includes(EICAR) ? 'stream: Eicar-Test-Signature FOUND' : 'stream: OK');
        }
        if (total + length > maxStreamBytes) return answer('INSTREAM size limit exceeded. ERROR');
        if (buffer.length < 4 + length) return;
        chunks.push(buffer.subarray(4, 4 + length));
        total += length;
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    scanned,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
