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

test('when a streamed download fails half-way, then the connection is closed and the client sees the download fail, instead of waiting for ever', async () => {
  const lines: Array<{ msg: string }> = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = express();
  app.get('/export.csv', (_req, res, next) => {
    res.status(200).setHeader('Content-Type', 'text/csv');
    res.write('number,title\r\n1,First\r\n');
    setTimeout(() => next(new Error('the database went away')), 20);
  });
  app.use(errorMiddleware(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/export.csv`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    const body = await response.text().then(
      (text) => ({ completed: text }),
      (err: Error) => ({ failed: err.name === 'TimeoutError' ? 'still waiting after 5 s' : 'connection closed' }),
    );
    expect(body).toEqual({ failed: 'connection closed' });
    expect(lines.map((l) => l.msg)).toEqual(['failed after the answer was sent']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
