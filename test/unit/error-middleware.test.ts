import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { errorMiddleware } from '../../api/errors';

test('when a step fails after the answer was sent, then the error is logged and the answer stands, instead of a second answer throwing', async () => {
  const lines: Array<{ msg: string; path?: string; err?: { message?: string } }> = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = express();
  app.get('/answered-then-failed', (_req, res, next) => {
    res.status(201).json({ ok: true });
    next(new Error('starting the hand-over failed'));
  });
  app.use(errorMiddleware(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/answered-then-failed`);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    expect(lines).toEqual([expect.objectContaining({ msg: 'failed after the answer was sent', path: '/answered-then-failed', err: expect.objectContaining({ message: 'starting the hand-over failed' }) })]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
