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

/** Writes a table as CSV in chunks, so a large export never sits in memory as one string. */
export async function streamCsv(res: Response, filename: string, columns: string[], pages: AsyncIterable<unknown[][]>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  res.write(`${Papa.unparse([columns])}\r\n`);
  for await (const rows of pages) {
    if (rows.length === 0) continue;
    const chunk = Papa.unparse(rows.map((row) => row.map(neutralise)), { newline: '\r\n' });
    // Respect back-pressure: a slow client must not make the server buffer the whole export.
    if (!res.write(`${chunk}\r\n`)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

export async function* once<T>(value: T): AsyncIterable<T> {
  yield value;
}
