import crypto from 'node:crypto';
import net from 'node:net';

/**
 * Ports are drawn below Linux's ephemeral range (32768–60999): a port the kernel handed out as free
 * could be taken as the local end of an outgoing connection (a MariaDB pool opens many) in the
 * seconds before the server that was promised it listens, as once happened to a test's API.
 */
const LOW = 20_000;
const HIGH = 32_000;

/** A port free on loopback right now, for servers that must know their URL before they listen. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + crypto.randomInt(HIGH - LOW);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port between ${LOW} and ${HIGH} after 100 tries`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
