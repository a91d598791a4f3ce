import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { streamCsv } from '../../api/reports/csv';
import { within } from '../support/wait';

/**
 * Defect 7: a client that disconnects mid-export must not leave the handler waiting on
 * `drain` forever. The export runs over real HTTP on loopback; the page source never ends
 * by itself, so only the handler noticing the disconnect can stop it.
 */
describe('an abandoned CSV export', () => {
  test('when the client goes away without reading, then the export stops and its page source is closed', async () => {
    let pagesServed = 0;
    let sourceClosed!: () => void;
    const closed = new Promise<void>((resolve) => (sourceClosed = resolve));
    let handlerSettled!: (outcome: string) => void;
    const settled = new Promise<string>((resolve) => (handlerSettled = resolve));

    async function* endless() {
      try {
        for (;;) {
          pagesServed += 1;
          yield Array.from({ length: 500 }, (_, i) => [pagesServed, i, 'x'.repeat(200)]);
        }
      } finally {
        sourceClosed();
      }
    }
    const app = express();
    app.get('/export', (_req, res) => {
      streamCsv(res, 'export.csv', ['page', 'row', 'padding'], endless()).then(
        () => handlerSettled('returned'),
        (err: unknown) => handlerSettled(`threw ${String(err)}`),
      );
    });
    const server: http.Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      // Read the status line, then stop reading and hang up, as a closed browser tab does.
      await new Promise<void>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path: '/export' }, (response) => {
          expect(response.statusCode).toBe(200);
          response.pause();
          setTimeout(() => {
            request.destroy();
            resolve();
          }, 200);
        });
        request.on('error', (err) => (request.destroyed ? undefined : reject(err)));
      });
      await within('the page source to be closed after the client left', closed, 10_000);
      expect(await within('the export handler to settle after the client left', settled, 10_000)).toBe('returned');
      const servedAtStop = pagesServed;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(pagesServed).toBe(servedAtStop);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
