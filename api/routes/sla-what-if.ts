import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { Models } from '../../lib/db/models';
import { createSlaWhatIf, WhatIfBody, WhatIfQuery, whatIfRequest } from '../admin/sla-what-if';
import { principalOf } from '../auth';
import { forbidden, parse } from '../errors';
import { streamCsv } from '../reports/csv';

function adminsOnly(req: Request, _res: Response, next: NextFunction): void {
  next(principalOf(req).roles.includes('admin') ? undefined : forbidden('Only administrators may preview SLA changes'));
}

/** Waits for the socket to take more; false once the client has gone. */
function drained(res: Response): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain).off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain).once('close', onClose);
  });
}

/**
 * `POST /admin/sla/what-if`: a draft policy, ladder or calendar replayed over a period's
 * recorded tickets beside today's configuration. Answers NDJSON as it goes (start, the
 * tickets gaining or losing a breach, progress with running figures, summary), or with
 * `?format=csv` one row per ticket. Bad input is refused (400 naming the field) before
 * anything streams; a failure mid-stream ends it with an `error` line.
 */
export function createSlaWhatIfRouter({ sequelize, models, logger }: { sequelize: Sequelize; models: Models; logger: Logger }): Router {
  const router = Router();
  const whatIf = createSlaWhatIf({ sequelize, models });
  router.post('/what-if', adminsOnly, async (req, res) => {
    const { format } = parse(WhatIfQuery, req.query);
    const request = whatIfRequest(parse(WhatIfBody, req.body ?? {}));
    await whatIf.check(request);
    if (format === 'csv') {
      await streamCsv(res, 'sla-what-if.csv', whatIf.csvColumns, whatIf.csvPages(request));
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    // Proxies must pass each line on as it comes, not hold the answer back.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    try {
      for await (const line of whatIf.lines(request)) {
        if (res.destroyed) return;
        if (!res.write(`${JSON.stringify(line)}\n`) && !(await drained(res))) return;
      }
    } catch (err) {
      logger.error({ err }, 'SLA what-if failed mid-stream');
      res.write(`${JSON.stringify({ type: 'error', message: 'The preview failed; the server log has the cause' })}\n`);
    }
    res.end();
  });
  return router;
}
