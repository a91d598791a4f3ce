import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the services read, validated once at start so a typo fails
 * loudly instead of surfacing as a confusing runtime error hours later.
 * Defaults describe the embedded stack that `npm start` runs on one machine.
 */
const ROOT = path.resolve(__dirname, '..');

const port = z.coerce.number().int().min(0).max(65535);
// An empty variable (`FOO=`) means "not set", as shells and compose files use it.
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).optional());

const ConfigSchema = z.object({
  DATA_DIR: z.string().default(path.join(ROOT, '.data')),
  DATABASE_URL: optionalString,
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('tickets'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_UI_URL: optionalString,
  API_PORT: port.default(3001),
  API_HOST: z.string().default('127.0.0.1'),
  PUBLIC_API_URL: optionalString,
  WEB_PORT: port.default(3000),
  PUBLIC_WEB_URL: optionalString,
  IDENTITY_PORT: port.default(3002),
  /** Interface the local issuer binds; 0.0.0.0 in a container others reach by name. */
  IDENTITY_HOST: z.string().default('127.0.0.1'),
  /** The local issuer's URL as browsers see it, which is also the `iss` of its tokens (e.g. http://localhost:3002). */
  IDENTITY_PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  /** How the API reaches the local issuer when that differs from the public URL (e.g. http://identity:3002 in compose). */
  IDENTITY_INTERNAL_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  AUTH0_DOMAIN: optionalString,
  AUTH0_AUDIENCE: z.string().default('https://api.ticketing.local'),
  AUTH0_CLIENT_ID: z.string().default('ticketing-portal'),
  ONCALL_WEBHOOK_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  /** Signs approval links and reply addresses; `npm start` generates one into DATA_DIR when unset. */
  APP_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'must be at least 32 characters').optional()),
  POSTMARK_SERVER_TOKEN: z.string().min(1).default('local-sink-token'),
  /** Where the postmark client sends: the local sink (`npm start` sets it), or unset for Postmark itself. */
  POSTMARK_API_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  MAIL_SINK_PORT: port.default(3003),
  /** Loopback unless the sink runs in a container that others reach by name. */
  MAIL_SINK_HOST: z.string().default('127.0.0.1'),
  MAIL_FROM: z.string().default('Service Desk <support@ticketing.local>'),
  /** The support mailbox; replies go to its plus-address `support+<token>@…`. */
  SUPPORT_ADDRESS: z.email().default('support@ticketing.local'),
  INBOUND_WEBHOOK_USER: z.string().min(1).default('postmark'),
  INBOUND_WEBHOOK_PASSWORD: optionalString,
  INBOUND_REOPEN_RESOLVED: z.enum(['true', 'false']).default('true'),
  /** The category (by code) a ticket raised by email starts in. */
  INBOUND_CATEGORY: z.string().trim().min(1).default('it-hardware'),
  ATTACHMENTS_DIR: optionalString,
  S3_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('true'),
  CLAMD_HOST: optionalString,
  CLAMD_PORT: port.default(3310),
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawConfig = z.infer<typeof ConfigSchema>;

export interface Config {
  dataDir: string;
  database: { url: string; dialect: 'sqlite' | 'mysql' };
  temporal: {
    address: string;
    /** True when no TEMPORAL_ADDRESS is given: `npm start` runs the CLI's dev server itself. */
    embedded: boolean;
    devPort: number;
    uiPort: number;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls: boolean;
    tlsCertPath?: string;
    tlsKeyPath?: string;
    uiUrl: string;
  };
  api: { host: string; port: number; publicUrl: string };
  web: { port: number; publicUrl: string };
  identity: {
    /** The issuer the API trusts: the local OIDC provider unless AUTH0_DOMAIN is set. */
    issuerUrl: string;
    /** Whether the local issuer must run (false when a real Auth0 tenant is configured). */
    local: boolean;
    localPort: number;
    /** Interface the local issuer binds. */
    localHost?: string;
    /** Where the API fetches the signing keys when the issuer is reached by another name than its public URL. */
    jwksUri?: string;
    audience: string;
    clientId: string;
  };
  logLevel: RawConfig['LOG_LEVEL'];
  oncallWebhookUrl?: string;
  /** HMAC key for approval links and reply-address tokens (absent only before the stack generated one). */
  appSecret?: string;
  mail: {
    serverToken: string;
    /** Base URL of a Postmark-compatible API (the local sink); unset means Postmark itself. */
    apiUrl?: string;
    sinkPort: number;
    sinkHost: string;
    from: string;
    supportAddress: string;
    inbound: { user: string; password?: string; reopenResolved: boolean; categoryCode?: string };
  };
  attachments: {
    dir: string;
    s3?: { endpoint?: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean };
    clamd?: { host: string; port: number };
  };
  import: { concurrency: number };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const raw = parsed.data;
  const dataDir = path.resolve(raw.DATA_DIR);
  const databaseUrl = raw.DATABASE_URL ?? `sqlite://${path.join(dataDir, 'tickets.sqlite')}`;
  const dialect = databaseUrl.startsWith('mysql://') || databaseUrl.startsWith('mariadb://') ? 'mysql' : 'sqlite';
  if (dialect === 'sqlite' && !databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(`Invalid configuration: DATABASE_URL must start with mysql:// or sqlite:, got "${databaseUrl}"`);
  }
  const auth0Domain = raw.AUTH0_DOMAIN?.replace(/\/+$/, '');
  const issuerUrl = auth0Domain
    ? `${auth0Domain.startsWith('http') ? auth0Domain : `https://${auth0Domain}`}/`
    : `${(raw.IDENTITY_PUBLIC_URL ?? `http://127.0.0.1:${raw.IDENTITY_PORT}`).replace(/\/+$/, '')}/`;
  const internalIssuer = !auth0Domain && raw.IDENTITY_INTERNAL_URL ? raw.IDENTITY_INTERNAL_URL.replace(/\/+$/, '') : undefined;
  return {
    dataDir,
    database: { url: databaseUrl, dialect },
    temporal: {
      address: raw.TEMPORAL_ADDRESS ?? `127.0.0.1:${raw.TEMPORAL_DEV_PORT}`,
      embedded: !raw.TEMPORAL_ADDRESS,
      devPort: raw.TEMPORAL_DEV_PORT,
      uiPort: raw.TEMPORAL_UI_PORT,
      namespace: raw.TEMPORAL_NAMESPACE,
      taskQueue: raw.TEMPORAL_TASK_QUEUE,
      apiKey: raw.TEMPORAL_API_KEY,
      tls: raw.TEMPORAL_TLS === 'true' || Boolean(raw.TEMPORAL_API_KEY),
      tlsCertPath: raw.TEMPORAL_TLS_CERT,
      tlsKeyPath: raw.TEMPORAL_TLS_KEY,
      uiUrl: raw.TEMPORAL_UI_URL ?? `http://127.0.0.1:${raw.TEMPORAL_UI_PORT}`,
    },
    api: {
      host: raw.API_HOST,
      port: raw.API_PORT,
      publicUrl: raw.PUBLIC_API_URL ?? `http://127.0.0.1:${raw.API_PORT}`,
    },
    web: { port: raw.WEB_PORT, publicUrl: raw.PUBLIC_WEB_URL ?? `http://127.0.0.1:${raw.WEB_PORT}` },
    identity: {
      issuerUrl,
      local: !auth0Domain,
      localPort: raw.IDENTITY_PORT,
      localHost: raw.IDENTITY_HOST,
      jwksUri: internalIssuer ? `${internalIssuer}/.well-known/jwks.json` : undefined,
      audience: raw.AUTH0_AUDIENCE,
      clientId: raw.AUTH0_CLIENT_ID,
    },
    logLevel: raw.LOG_LEVEL,
    oncallWebhookUrl: raw.ONCALL_WEBHOOK_URL,
    appSecret: raw.APP_SECRET,
    mail: {
      serverToken: raw.POSTMARK_SERVER_TOKEN,
      apiUrl: raw.POSTMARK_API_URL,
      sinkPort: raw.MAIL_SINK_PORT,
      sinkHost: raw.MAIL_SINK_HOST,
      from: raw.MAIL_FROM,
      supportAddress: raw.SUPPORT_ADDRESS,
      inbound: { user: raw.INBOUND_WEBHOOK_USER, password: raw.INBOUND_WEBHOOK_PASSWORD, reopenResolved: raw.INBOUND_REOPEN_RESOLVED === 'true', categoryCode: raw.INBOUND_CATEGORY },
    },
    attachments: {
      dir: path.resolve(raw.ATTACHMENTS_DIR ?? path.join(dataDir, 'attachments')),
      s3: raw.S3_BUCKET
        ? {
            endpoint: raw.S3_ENDPOINT,
            bucket: raw.S3_BUCKET,
            region: raw.S3_REGION,
            accessKeyId: raw.S3_ACCESS_KEY_ID,
            secretAccessKey: raw.S3_SECRET_ACCESS_KEY,
            forcePathStyle: raw.S3_FORCE_PATH_STYLE === 'true',
          }
        : undefined,
      clamd: raw.CLAMD_HOST ? { host: raw.CLAMD_HOST, port: raw.CLAMD_PORT } : undefined,
    },
    import: { concurrency: raw.IMPORT_CONCURRENCY },
  };
}
