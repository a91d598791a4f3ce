import crypto, { type JsonWebKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** What the issuer signs with: one RSA key for tokens, secrets for its signed cookies. */
export interface IssuerKeys {
  signingKeys: JsonWebKey[];
  cookieKeys: string[];
}

/**
 * Keys for the issuer. Without a file they live only as long as the process; with
 * one they are created on first start and reused after, so access tokens already
 * held by the portal and the API stay valid across a restart of `npm start`.
 */
export function loadOrCreateKeys(keyFile?: string): IssuerKeys {
  if (!keyFile) return generateKeys();
  const existing = readKeyFile(keyFile);
  if (existing) return existing;
  const keys = generateKeys();
  fs.mkdirSync(path.dirname(keyFile), { recursive: true });
  // Written to a temporary name and renamed so a crash mid-write never leaves a half file behind.
  const partial = `${keyFile}.${process.pid}.tmp`;
  fs.writeFileSync(partial, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(partial, keyFile);
  return keys;
}

function generateKeys(): IssuerKeys {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(`${jwk.n}.${jwk.e}`).digest('base64url').slice(0, 16);
  return {
    signingKeys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }],
    cookieKeys: [crypto.randomBytes(32).toString('base64url')],
  };
}

function readKeyFile(keyFile: string): IssuerKeys | undefined {
  let text: string;
  try {
    text = fs.readFileSync(keyFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<IssuerKeys>;
  const usable =
    Array.isArray(parsed.signingKeys) &&
    parsed.signingKeys.some((k) => k.kty === 'RSA' && typeof k.d === 'string') &&
    Array.isArray(parsed.cookieKeys) &&
    parsed.cookieKeys.length > 0;
  // Refusing beats silently regenerating: a new key would invalidate every token in circulation.
  if (!usable) throw new Error(`${keyFile} does not hold the issuer's keys; delete it to generate new ones`);
  return parsed as IssuerKeys;
}
