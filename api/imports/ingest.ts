import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Papa from 'papaparse';
import type { Models } from '../../lib/db/models';
import { ApiError } from '../errors';
import { headerProblems, type Cells } from './rows';

/** Caps on one upload: past them the upload is refused whole (413 / 422) and nothing is kept. */
export const IMPORT_LIMITS = { maxBytes: 20 * 1024 * 1024, maxRows: 50_000, maxCellChars: 20_000 } as const;

const BATCH = 500;

function byteCounter(maxBytes: number, refuse: (err: ApiError) => ApiError): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(refuse(new ApiError(413, 'PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes / (1024 * 1024)} MB; split it into several imports`)));
      else done(null, chunk);
    },
  });
}

/**
 * The upload's bytes as UTF-8 text, whole characters only: a character split across two network
 * chunks came out as two replacement characters when each chunk was decoded on its own, and a
 * file in another encoding (Latin-1 from an old spreadsheet) was taken in garbled. Such a file
 * is refused whole (422) and nothing is kept.
 */
function utf8Text(refuse: (err: ApiError) => ApiError): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const notUtf8 = () =>
    refuse(new ApiError(422, 'INVALID_ENCODING', 'The file is not UTF-8 text; save it as "CSV UTF-8" and upload it again', [{ field: '(file)', message: 'is not UTF-8 text' }]));
  /** Pushes what `decode` gives, or fails the stream when the bytes are not UTF-8. */
  const emit = (stream: Transform, decode: () => string, done: (err?: Error | null) => void) => {
    let text: string;
    try {
      text = decode();
    } catch {
      done(notUtf8());
      return;
    }
    if (text) stream.push(text);
    done();
  };
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      emit(this, () => decoder.decode(chunk, { stream: true }), done);
    },
    flush(done) {
      emit(this, () => decoder.decode(), done);
    },
  });
}

/** What a refused upload may still send before the answer goes out anyway (then the connection closes). */
const DRAIN_LIMIT = { bytes: 64 * 1024 * 1024, ms: 30_000 };

/** Reads and drops the rest of a request body, within DRAIN_LIMIT. */
function drain(upload: Readable): Promise<void> {
  if (upload.readableEnded || upload.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      upload.off('data', count).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const count = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_LIMIT.bytes) done();
    };
    const timer = setTimeout(done, DRAIN_LIMIT.ms);
    upload.on('data', count).once('end', done).once('close', done).once('error', done);
    upload.resume();
  });
}

/**
 * Streams an uploaded CSV through papaparse into `import_rows`, one batch at a time: the
 * file is never held whole, and the request stream is paused whenever the database falls
 * behind (papaparse's duplex stream passes Node's back-pressure through). Structural
 * problems (a bad header, ragged rows, an external id repeated within the file) are
 * settled here; everything else is left pending for the runner.
 */
export async function ingestCsv(models: Models, importId: string, upload: Readable, limits = IMPORT_LIMITS): Promise<{ rows: number }> {
  // The header row as written, in order (papaparse renames a repeated name before the rows see
  // it, and the first row's own keys would hide a column that row leaves out).
  const headerRow: string[] = [];
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h: string, index: number) => (headerRow[index] = h.replace(/^\uFEFF/, '').trim()),
  });
  const firstSeen = new Map<string, number>();
  let batch: Array<Record<string, unknown>> = [];
  let rows = 0;
  let header: string[] | undefined;
  const flush = async () => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    await models.ImportRow.bulkCreate(pending);
  };
  // Our own refusal, kept: the pipeline may reject with the AbortError of tearing itself down instead.
  let refusal: ApiError | undefined;
  const refuse = (err: ApiError) => (refusal ??= err);
  const consume = async (source: AsyncIterable<Record<string, unknown>>) => {
    for await (const record of source) {
      rows += 1;
      if (rows > limits.maxRows) throw refuse(new ApiError(422, 'TOO_MANY_ROWS', `The file has more than ${limits.maxRows} rows; split it into several imports`));
      const { __parsed_extra: extra, ...fields } = record;
      if (!header) {
        // papaparse names the header from the first line it parsed: a blank line before the
        // header leaves only an empty name here, and its own keys are then the header's.
        header = headerRow.some((name) => name !== '') ? [...headerRow] : Object.keys(fields);
        const problems = headerProblems(header);
        if (problems.length > 0) throw refuse(new ApiError(422, 'INVALID_CSV_HEADER', 'The header row does not describe tickets', problems));
      }
      const cells: Cells = {};
      const errors: Array<{ field: string; message: string }> = [];
      for (const column of header) {
        const value = fields[column];
        if (typeof value !== 'string') errors.push({ field: column, message: 'is missing: the row has fewer cells than the header' });
        else if (value.length > limits.maxCellChars) errors.push({ field: column, message: `is longer than ${limits.maxCellChars} characters` });
        else cells[column] = value;
      }
      if (extra !== undefined) errors.push({ field: '(row)', message: 'has more cells than the header' });
      const externalId = (cells.external_id ?? '').trim().slice(0, 191) || null;
      if (externalId !== null) {
        const earlier = firstSeen.get(externalId);
        if (earlier !== undefined) errors.push({ field: 'external_id', message: `repeats row ${earlier} of this file` });
        else firstSeen.set(externalId, rows);
      }
      batch.push({
        import_id: importId,
        row_number: rows,
        external_id: externalId,
        outcome: errors.length > 0 ? 'error' : 'pending',
        ticket_number: null,
        errors: errors.length > 0 ? errors : null,
        data: errors.length > 0 ? null : cells,
      });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  };
  // The request feeds the pipeline through a PassThrough: a refusal mid-way (413, too many
  // rows, a bad header) then tears down the pipeline but not the request, whose rest is read
  // and dropped so the client, still sending, receives the 4xx instead of a reset connection.
  const source = new PassThrough();
  upload.pipe(source);
  try {
    await pipeline(source, byteCounter(limits.maxBytes, refuse), utf8Text(refuse), parser, consume);
  } catch (err) {
    upload.unpipe(source);
    await drain(upload);
    throw refusal ?? err;
  }
  if (rows === 0) throw new ApiError(422, 'EMPTY_CSV', 'The file has a header but no rows', [{ field: '(file)', message: 'has no rows' }]);
  return { rows };
}
