import type { Response } from 'express';
import Papa from 'papaparse';

/**
 * Spreadsheets execute cells that start with = + - @ (and tab / carriage return, which
 * some strip first): such text gets a leading apostrophe so it stays text (OWASP's
 * advice for CSV injection). Numbers are left alone: a negative count is not a formula.
 */
export function neutralise(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export interface Table {
  columns: string[];
  rows: unknown[][];
}

/**
 * Resolves true once the response can take more, false once it never will (the client went
 * away, or the socket failed): a write that waits on `drain` alone waits forever then.
 */
function writable(res: Response): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      res.off('drain', onDrain).off('close', onClose).off('error', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.once('drain', onDrain).once('close', onClose).once('error', onClose);
  });
}

/**
 * Writes a table as CSV in chunks, so a large export never sits in memory as one string.
 * Stops (and lets the page source clean up) as soon as the client is gone.
 */
export async function streamCsv(res: Response, filename: string, columns: string[], pages: AsyncIterable<unknown[][]>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  res.write(`${Papa.unparse([columns])}\r\n`);
  for await (const rows of pages) {
    if (res.destroyed) return; // leaving the loop closes the page source
    if (rows.length === 0) continue;
    const chunk = Papa.unparse(rows.map((row) => row.map(neutralise)), { newline: '\r\n' });
    // Respect back-pressure: a slow client must not make the server buffer the whole export.
    if (!res.write(`${chunk}\r\n`) && !(await writable(res))) return;
  }
  res.end();
}

export async function* once<T>(value: T): AsyncIterable<T> {
  yield value;
}
