import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../lib/config';

/**
 * Where attachment bytes live. Keys are always generated here (`newKey()`), never taken
 * from a file name, so nothing a user sends can steer a path or an object name.
 */
export interface Storage {
  /** Stores the bytes under the key; `size` is required for streams (S3 needs the length up front). */
  put(key: string, body: Readable | Buffer, size: number): Promise<void>;
  get(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
}

const KEY = /^\d{4}\/\d{2}\/[0-9a-f-]{36}$/;

export function newKey(now = new Date()): string {
  return `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${crypto.randomUUID()}`;
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`Refusing a storage key that was not generated here: ${JSON.stringify(key)}`);
  return key;
}

export class StoredObjectMissing extends Error {
  constructor(key: string) {
    super(`No stored object under ${key}`);
    this.name = 'StoredObjectMissing';
  }
}

/** Files under one folder. Written to a temporary name first, so a crash never leaves half a file under a real key. */
export class LocalDiskStorage implements Storage {
  constructor(private readonly dir: string) {}

  private pathOf(key: string): string {
    return path.join(this.dir, checkKey(key));
  }

  async put(key: string, body: Readable | Buffer, _size: number): Promise<void> {
    const target = this.pathOf(key);
    const temp = path.join(this.dir, '.tmp', crypto.randomUUID());
    await fs.promises.mkdir(path.dirname(temp), { recursive: true });
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await fs.promises.rename(temp, target);
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      await fs.promises.access(file);
    } catch {
      throw new StoredObjectMissing(key);
    }
    return fs.createReadStream(file);
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }
}

export interface S3Settings {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/** Any S3-compatible store (AWS, MinIO, Ceph…), through the official client. */
export class S3Storage implements Storage {
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId && settings.secretAccessKey
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
      // Checksums only where S3 requires them: the newer default (aws-chunked trailers) is not spoken by many S3-compatible stores.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable | Buffer, size: number): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.settings.bucket, Key: checkKey(key), Body: body, ContentLength: size, ContentType: 'application/octet-stream' }),
    );
  }

  async get(key: string): Promise<Readable> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: checkKey(key) }));
      return answer.Body as Readable;
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') throw new StoredObjectMissing(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: checkKey(key) }));
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** S3 when a bucket is configured, else the local folder. */
export function createStorage(config: Config['attachments']): Storage {
  return config.s3 ? new S3Storage(config.s3) : new LocalDiskStorage(config.dir);
}
