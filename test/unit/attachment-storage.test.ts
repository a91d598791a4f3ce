import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalDiskStorage, newKey, S3Storage, StoredObjectMissing } from '../../attachments/storage';
import { startS3StandIn, type S3StandIn } from '../support/s3-standin';

const read = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe('local disk storage', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attachments-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('when bytes are put, then they come back under the key and no temporary file is left', async () => {
    const storage = new LocalDiskStorage(dir);
    const key = newKey();
    await storage.put(key, Readable.from([Buffer.from('hello '), Buffer.from('world')]), 11);
    expect((await read(await storage.get(key))).toString()).toBe('hello world');
    expect(fs.readdirSync(path.join(dir, '.tmp'))).toEqual([]);
    await storage.delete(key);
    await expect(storage.get(key)).rejects.toBeInstanceOf(StoredObjectMissing);
  });

  test('when a key was not generated here, then it is refused (no path from user input)', async () => {
    const storage = new LocalDiskStorage(dir);
    await expect(storage.put('../../etc/passwd', Buffer.from('x'), 1)).rejects.toThrow(/not generated here/);
    await expect(storage.get('2026/01/../../x')).rejects.toThrow(/not generated here/);
  });

  test('when the source stream fails midway, then nothing is stored under the key', async () => {
    const storage = new LocalDiskStorage(dir);
    const key = newKey();
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put(key, failing, 100)).rejects.toThrow('client went away');
    await expect(storage.get(key)).rejects.toBeInstanceOf(StoredObjectMissing);
    expect(fs.readdirSync(path.join(dir, '.tmp'))).toEqual([]);
  });
});

describe('S3 storage against a SigV4-checking stand-in', () => {
  let s3: S3StandIn;
  const settings = { bucket: 'tickets', region: 'eu-central-1', accessKeyId: 'AKIATEST', secretAccessKey: 'secret-key-for-tests', forcePathStyle: true };
  beforeAll(async () => {
    s3 = await startS3StandIn(settings);
  });
  afterAll(async () => {
    await s3.close();
  });

  test('when a stream is put with the right credentials, then it is stored and read back, and delete removes it', async () => {
    const storage = new S3Storage({ ...settings, endpoint: s3.endpoint });
    const key = newKey();
    const file = path.join(os.tmpdir(), `s3-${process.pid}.bin`);
    fs.writeFileSync(file, Buffer.alloc(300_000, 7));
    await storage.put(key, fs.createReadStream(file), 300_000);
    fs.rmSync(file);
    expect(s3.objects.get(key)).toEqual(Buffer.alloc(300_000, 7));
    expect((await read(await storage.get(key))).equals(Buffer.alloc(300_000, 7))).toBe(true);
    const head = new S3Client({ endpoint: s3.endpoint, region: settings.region, forcePathStyle: true, credentials: settings });
    expect((await head.send(new HeadObjectCommand({ Bucket: 'tickets', Key: key }))).ContentLength).toBe(300_000);
    head.destroy();
    await storage.delete(key);
    expect(s3.objects.has(key)).toBe(false);
    await expect(storage.get(key)).rejects.toBeInstanceOf(StoredObjectMissing);
    storage.destroy();
  });

  test('when the secret is wrong, then the stand-in refuses the signature and nothing is stored', async () => {
    const storage = new S3Storage({ ...settings, endpoint: s3.endpoint, secretAccessKey: 'not-the-secret' });
    const key = newKey();
    await expect(storage.put(key, Buffer.from('x'), 1)).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(s3.objects.has(key)).toBe(false);
    expect(s3.requests.at(-1)).toMatchObject({ method: 'PUT', status: 403 });
    storage.destroy();
  });
});
