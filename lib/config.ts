import path from 'node:path';
import { z } from 'zod';
import { parseAuthservIds, parseSenderPolicy, type AlignmentPolicy } from '../api/inbound/sender-auth';

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
  /** How long the API waits for a start or an Update to be confirmed before answering 503 (a worker may be down). */
  TEMPORAL_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
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
  /**
   * `local` trusts the bundled demo issuer (anyone reaching it signs in as anyone), so it is
   * never implied: `npm start` and the tests set it; otherwise AUTH0_DOMAIN names the issuer.
   */
  IDENTITY_MODE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['local', 'auth0']).optional()),
  NODE_ENV: optionalString,
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
  /** Backoff of email delivery while Postmark fails: first retry after this many seconds, doubling up to EMAIL_RETRY_MAX_SECONDS. */
  EMAIL_RETRY_INITIAL_SECONDS: z.coerce.number().positive().default(5),
  EMAIL_RETRY_MAX_SECONDS: z.coerce.number().positive().default(300),
  /** The support mailbox; replies go to its plus-address `support+<token>@…`. */
  SUPPORT_ADDRESS: z.email().default('support@ticketing.local'),
  INBOUND_WEBHOOK_USER: z.string().min(1).default('postmark'),
  INBOUND_WEBHOOK_PASSWORD: optionalString,
  /** Per From: domain, how inbound mail must authenticate: `company.example=strict, partner.example=dmarc` (relaxed alignment otherwise). */
  INBOUND_TRUSTED_DOMAINS: optionalString,
  /** Authentication services (your border MTA, e.g. mx.google.com) whose Authentication-Results headers inbound mail is judged by; unset: only Received-SPF. */
  INBOUND_AUTHSERV_IDS: optionalString,
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
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
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
    /** Bound on a start, Update or query the API waits for (absent: 10 s). */
    requestTimeoutMs?: number;
  };
  api: { host: string; port: number; publicUrl: string };
  web: { port: number; publicUrl: string };
  /** NODE_ENV=production: nothing meant for a developer's machine may run (the local issuer above all). */
  production: boolean;
  identity: {
    /** Which issuer is trusted: AUTH0_DOMAIN's, the local demo one (only when asked for), or none yet (entry points refuse to start). */
    mode: 'local' | 'auth0' | 'unset';
    /** The issuer the API trusts: the Auth0 tenant, or the local OIDC provider in local mode. */
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
    /** Email delivery backoff (always set by loadConfig). */
    retry?: { initialIntervalMs: number; maximumIntervalMs: number };
    inbound: { user: string; password?: string; reopenResolved: boolean; categoryCode?: string; trustedDomains?: Record<string, AlignmentPolicy>; authservIds?: string[] };
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
  if (auth0Domain && raw.IDENTITY_MODE === 'local') {
    throw new ConfigError('Invalid configuration: IDENTITY_MODE=local and AUTH0_DOMAIN are both set; unset one of them (AUTH0_DOMAIN for a real tenant, IDENTITY_MODE=local for the demo issuer)');
  }
  if (!auth0Domain && raw.IDENTITY_MODE === 'auth0') {
    throw new ConfigError('Invalid configuration: IDENTITY_MODE=auth0 needs AUTH0_DOMAIN (your tenant, e.g. acme.eu.auth0.com)');
  }
  let trustedDomains: Record<string, AlignmentPolicy>;
  try {
    trustedDomains = parseSenderPolicy(raw.INBOUND_TRUSTED_DOMAINS).domains;
  } catch (err) {
    throw new ConfigError(`Invalid configuration: INBOUND_TRUSTED_DOMAINS: ${(err as Error).message}`);
  }
  let authservIds: string[];
  try {
    authservIds = parseAuthservIds(raw.INBOUND_AUTHSERV_IDS);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: INBOUND_AUTHSERV_IDS: ${(err as Error).message}`);
  }
  // A DMARC verdict comes only from Authentication-Results: with no service trusted to write
  // them, a domain that accepts only DMARC would have every message refused.
  const dmarcOnly = Object.entries(trustedDomains).filter(([, policy]) => policy === 'dmarc').map(([domain]) => domain);
  if (dmarcOnly.length > 0 && authservIds.length === 0) {
    throw new ConfigError(
      `Invalid configuration: INBOUND_TRUSTED_DOMAINS asks a DMARC pass of ${dmarcOnly.join(', ')}, but INBOUND_AUTHSERV_IDS names no service whose Authentication-Results may say so; set it (e.g. mx.google.com) or use relaxed or strict for those domains`,
    );
  }
  const identityMode = auth0Domain ? 'auth0' : raw.IDENTITY_MODE === 'local' ? 'local' : 'unset';
  const issuerUrl = auth0Domain
    ? `${auth0Domain.startsWith('http') ? auth0Domain : `https://${auth0Domain}`}/`
    : `${(raw.IDENTITY_PUBLIC_URL ?? `http://127.0.0.1:${raw.IDENTITY_PORT}`).replace(/\/+$/, '')}/`;
  const internalIssuer = identityMode === 'local' && raw.IDENTITY_INTERNAL_URL ? raw.IDENTITY_INTERNAL_URL.replace(/\/+$/, '') : undefined;
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
      requestTimeoutMs: raw.TEMPORAL_REQUEST_TIMEOUT_MS,
    },
    api: {
      host: raw.API_HOST,
      port: raw.API_PORT,
      publicUrl: raw.PUBLIC_API_URL ?? `http://127.0.0.1:${raw.API_PORT}`,
    },
    web: { port: raw.WEB_PORT, publicUrl: raw.PUBLIC_WEB_URL ?? `http://127.0.0.1:${raw.WEB_PORT}` },
    production: raw.NODE_ENV === 'production',
    identity: {
      mode: identityMode,
      issuerUrl,
      local: identityMode === 'local',
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
      retry: { initialIntervalMs: raw.EMAIL_RETRY_INITIAL_SECONDS * 1000, maximumIntervalMs: Math.max(raw.EMAIL_RETRY_MAX_SECONDS, raw.EMAIL_RETRY_INITIAL_SECONDS) * 1000 },
      inbound: { user: raw.INBOUND_WEBHOOK_USER, password: raw.INBOUND_WEBHOOK_PASSWORD, reopenResolved: raw.INBOUND_REOPEN_RESOLVED === 'true', categoryCode: raw.INBOUND_CATEGORY, trustedDomains, authservIds },
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

/**
 * Why this configuration may not serve sign-ins, or undefined when it may. The API and the
 * local issuer call it before they listen: a silently trusted local issuer would let anyone
 * who can bind its port (or reach a proxied copy) sign in as the demo admin.
 */
export function identityProblem(config: Pick<Config, 'identity' | 'production'>): string | undefined {
  const { mode, localPort } = config.identity;
  if (mode === 'unset') {
    return (
      'No identity provider is configured. Set AUTH0_DOMAIN (with AUTH0_AUDIENCE and AUTH0_CLIENT_ID) to trust a real Auth0 tenant, ' +
      `or IDENTITY_MODE=local to trust the local demo issuer on http://127.0.0.1:${localPort}/ (development only; \`npm start\` sets it).`
    );
  }
  if (mode === 'local' && config.production) {
    return (
      'NODE_ENV=production but IDENTITY_MODE=local: the local demo issuer signs anyone in as anyone and must not run in production. ' +
      'Set AUTH0_DOMAIN (with AUTH0_AUDIENCE and AUTH0_CLIENT_ID) for a real issuer, or run without NODE_ENV=production on a development machine.'
    );
  }
  return undefined;
}

/** Throws the refusal identityProblem describes, for entry points. */
export function assertIdentityConfigured(config: Pick<Config, 'identity' | 'production'>): void {
  const problem = identityProblem(config);
  if (problem) throw new ConfigError(problem);
}
