import { Readable } from 'node:stream';
import { ClamdScanner, ScanFailed } from '../../attachments/scanner';
import { freePort } from '../support/ports';
import { EICAR, startClamdStandIn, type ClamdStandIn } from '../support/clamd-standin';

let clamd: ClamdStandIn;
beforeAll(async () => {
  clamd = await startClamdStandIn({ maxStreamBytes: 1024 * 1024 });
});
afterAll(async () => {
  await clamd.close();
});

const stream = (...parts: Array<string | Buffer>) => Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

describe('ClamAV INSTREAM adapter', () => {
  test('when a harmless file is streamed in chunks, then clamd says OK and saw every byte', async () => {
    const scanner = new ClamdScanner(clamd.host, clamd.port, 5000, 1000);
    await expect(scanner.scan(stream(Buffer.alloc(250_000, 65), 'tail'))).resolves.toEqual({ clean: true });
    expect(clamd.scanned.at(-1)).toBe(250_004);
  });

  test('when the EICAR test string is streamed (split across chunks), then it is found with its signature', async () => {
    const scanner = new ClamdScanner(clamd.host, clamd.port, 5000, 16);
    await expect(scanner.scan(stream('prefix ', EICAR, ' suffix'))).resolves.toEqual({ clean: false, signature: 'Eicar-Test-Signature' });
  });

  test('when the stream exceeds clamd StreamMaxLength, then the scan fails with clamd’s error', async () => {
    const scanner = new ClamdScanner(clamd.host, clamd.port, 5000);
    await expect(scanner.scan(stream(Buffer.alloc(2 * 1024 * 1024)))).rejects.toThrow(/INSTREAM size limit exceeded/);
  });

  test('when clamd is unreachable, then the scan fails (it never passes as clean)', async () => {
    const scanner = new ClamdScanner('127.0.0.1', await freePort(), 2000);
    await expect(scanner.scan(stream('hello'))).rejects.toBeInstanceOf(ScanFailed);
  });
});
