import { Router } from 'express';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { principalOf } from '../auth';
import { sendData } from '../envelope';
import { parse } from '../errors';
import { rangesInOrder } from '../schemas';
import { once, streamCsv } from '../reports/csv';
import { REPORTS, runReport } from '../reports/queries';

export const ReportQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  teamId: z.coerce.number().int().positive().optional(),
  period: z.enum(['day', 'month']).default('day'),
  format: z.enum(['json', 'csv']).default('json'),
}).superRefine(rangesInOrder([['from', 'to']]));

/** `/reports/:name` as JSON (for the portal's charts) or CSV (for spreadsheets). */
export function createReportsRouter({ sequelize }: { sequelize: Sequelize }): Router {
  const router = Router();
  router.get('/', (req, res) => sendData(req, res, REPORTS));
  router.get('/:name', async (req, res) => {
    const name = parse(z.enum(REPORTS), req.params.name, 'name');
    const { from, to, teamId, period, format } = parse(ReportQuery, req.query);
    const report = await runReport(sequelize, name, principalOf(req), { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined, teamId, period });
    if (format === 'csv') {
      await streamCsv(res, `${name}.csv`, report.columns, once(report.rows));
      return;
    }
    sendData(req, res, { report: name, columns: report.columns, rows: report.rows });
  });
  return router;
}
