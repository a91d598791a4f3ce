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
  AUTH0_DOMAIN: optionalString,
  AUTH0_AUDIENCE: z.string().default('https://api.ticketing.local'),
  AUTH0_CLIENT_ID: z.string().default('ticketing-portal'),
  ONCALL_WEBHOOK_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
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
    audience: string;
    clientId: string;
  };
  logLevel: RawConfig['LOG_LEVEL'];
  oncallWebhookUrl?: string;
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
    : `http://127.0.0.1:${raw.IDENTITY_PORT}/`;
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
      audience: raw.AUTH0_AUDIENCE,
      clientId: raw.AUTH0_CLIENT_ID,
    },
    logLevel: raw.LOG_LEVEL,
    oncallWebhookUrl: raw.ONCALL_WEBHOOK_URL,
  };
}
