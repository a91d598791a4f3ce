import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { errorMiddleware } from '../../api/errors';
import { redactPath } from '../../lib/observability/redact';

test('when a path or URL carries an approval link token, in any case and anywhere in it, then the token is redacted and other paths are left as they are', () => {
  expect(redactPath('/approval-links/SECRET')).toBe('/approval-links/[redacted]');
  expect(redactPath('/Approval-Links/SECRET/confirm?x=1')).toBe('/approval-links/[redacted]/confirm?x=1');
  expect(redactPath('http://portal.test/approval-links/SECRET')).toBe('http://portal.test/approval-links/[redacted]');
  expect(redactPath('/api/v1/tickets/12/messages')).toBe('/api/v1/tickets/12/messages');
  expect(redactPath(undefined)).toBeUndefined();
});

test('when a request on an approval link fails, then the error log names the path without its token', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
  const app = express();
  app.get('/approval-links/:token', (_req, _res, next) => next(new Error('the database went away')));
  app.use(errorMiddleware(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/APPROVAL-LINKS/SECRET-TOKEN`);
    expect(response.status).toBe(500);
    expect(lines.map((l) => JSON.parse(l).path)).toEqual(['/approval-links/[redacted]']);
    expect(lines.join('')).not.toContain('SECRET-TOKEN');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
