import crypto from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import cors from 'cors';
import express, { type Express } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { ServerClient } from 'postmark';
import type { Sequelize } from 'sequelize';
import type { Config } from '../lib/config';
import type { Models } from '../lib/db/models';
import { createPlannerStatistics } from '../lib/db/planner-statistics';
import { createOrganisation } from '../lib/db/organisation';
import { authenticate } from './auth';
import { sendData } from './envelope';
import { ApiError, errorMiddleware } from './errors';
import { buildOpenApi } from './openapi';
import { createAttachmentService } from '../attachments/service';
import { ClamdScanner } from '../attachments/scanner';
import { createStorage } from '../attachments/storage';
import { createAdminRouter } from './routes/admin';
import { createApprovalLinksRouter } from './routes/approval-links';
import { createAttachmentsRouter } from './routes/attachments';
import { createInboundEmailsRouter, createInboundRouter } from './routes/inbound';
import { createInboundMail } from './inbound/postmark';
import { createSigner } from '../lib/signing';
import { createAdminConfigRouter } from './routes/admin-config';
import { createApprovalsRouter } from './routes/approvals';
import { createDirectoryRouter } from './routes/directory';
import { createImportsRouter } from './routes/imports';
import { createLiveRouter } from './routes/live';
import { createLiveFeed } from './live-feed';
import { createImportRunner } from './imports/runner';
import { createNotificationsRouter } from './routes/notifications';
import { createReportsRouter } from './routes/reports';
import { createSavedFiltersRouter } from './routes/saved-filters';
import { createScimRouter, type ScimSettings } from './scim/router';
import { createPeopleAdminRouter } from './routes/people-admin';
import { createSlaWhatIfRouter } from './routes/sla-what-if';
import { createSignInProvisioning, type SignInProvisioningSettings } from '../lib/db/directory';
import { createTicketsRouter } from './routes/tickets';
import { createWatchersRouter } from './routes/watchers';
import { createTicketReads } from './ticket-reads';
import { createTicketService } from './ticket-service';
import { createReadiness, type Readiness } from '../lib/observability/health';
import { createOpsRouter } from '../lib/observability/http';
import { httpTracing } from '../lib/observability/http-tracing';
import { createMetrics, httpMetricsMiddleware, type Metrics } from '../lib/observability/metrics';
import { redactPath } from '../lib/observability/redact';

export interface AppDeps {
  config: Pick<Config, 'identity' | 'temporal' | 'attachments'> & Partial<Pick<Config, 'mail' | 'appSecret' | 'import'>>;
  client: Client;
  sequelize: Sequelize;
  models: Models;
  logger: Logger;
  /** Requests per minute per caller; generous by default, lowered in tests of the limiter. */
  rateLimitPerMinute?: number;
  /** Email-facing parts: template pushes to Postmark, and where approval pages send people afterwards. */
  mail?: { postmark?: ServerClient; webUrl?: string };
  /** Resume imports a stopped API process left behind, at start and every minute (the API process sets it; tests call sweep themselves). */
  resumeImports?: boolean;
  /** Prometheus registry of this process (created when not given). */
  metrics?: Metrics;
  /** Browser origins allowed to call the API cross-origin (CORS_ORIGINS); none by default. */
  corsOrigins?: string[];
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** The SCIM 2.0 endpoint at /scim/v2 exists only when a SCIM token is configured. */
  scim?: ScimSettings;
  /** Verified addresses of these domains become requesters at first sign-in; absent or empty = off. */
  signInProvisioning?: SignInProvisioningSettings;
}

const SECRET_HEADERS = ['authorization', 'cookie', 'x-postmark-server-token'];

export function redactRequest(req: { url?: string; headers?: Record<string, unknown> } & Record<string, unknown>) {
  const headers = { ...(req.headers ?? {}) };
  for (const name of SECRET_HEADERS) if (name in headers) headers[name] = '[redacted]';
  const url = redactPath(req.url);
  return { ...req, url, headers };
}

// Ids only in the logs, never names or addresses: the ticket a request is about and who made it.
const TICKET_IN_URL = /^\/api\/v1\/tickets\/(\d+)(?:[/?#]|$)/;

export function createApp({ config, client, sequelize, models, logger, rateLimitPerMinute = 1200, mail, resumeImports = false, scim, signInProvisioning, ...ops }: AppDeps): Express {
  const organisation = createOrganisation(models);
  const reads = createTicketReads(models);
  const service = createTicketService({ client, models, organisation, reads, temporal: config.temporal });
  const files = createAttachmentService({
    models,
    storage: createStorage(config.attachments),
    scanner: config.attachments.clamd ? new ClamdScanner(config.attachments.clamd.host, config.attachments.clamd.port) : undefined,
    spoolDir: path.join(config.attachments.dir, '.incoming'),
    logger,
  });
  const feed = createLiveFeed({ sequelize, models, reads, logger });
  const imports = createImportRunner({ models, organisation, service, logger, concurrency: config.import?.concurrency ?? 4 });
  // Planner statistics at start and whenever a table's size moved a lot (SQLite only; see the module).
  const statistics = createPlannerStatistics(sequelize, logger);
  void statistics.check().catch((err: unknown) => logger.warn({ err }, 'planner statistics not refreshed'));
  let sweeper: NodeJS.Timeout | undefined;
  if (resumeImports) {
    const sweep = () => void imports.sweep().catch((err: unknown) => logger.error({ err }, 'import sweep failed'));
    sweep();
    sweeper = setInterval(sweep, 60_000).unref();
  }

  const app = express();
  // Benchmarks over bulk-loaded rows wait for the first pass, as a deployment of that size would have had it.
  app.locals.plannerStatistics = statistics;
  // Background work the process owns; the server (and the test harness) stop it before closing connections.
  app.locals.stopBackgroundWork = async () => {
    clearInterval(sweeper);
    await statistics.stop();
    feed.stop();
    await imports.stop();
  };
  const metrics = ops.metrics ?? createMetrics({ service: 'api', sequelize });
  const readiness: Readiness = createReadiness({ sequelize, pingTemporal: () => client.workflowService.getSystemInfo({}) });
  app.locals.readiness = readiness;
  app.locals.metrics = metrics;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet());
  app.use(httpMetricsMiddleware(metrics));
  // Probes and scrapes: before authentication and rate limits, and kept out of the request log.
  app.use(createOpsRouter({ readiness, metrics, metricsToken: ops.metricsToken, logger }));
  // After the probes and scrapes, which would fill traces with noise.
  app.use(httpTracing());
  if (ops.corsOrigins?.length) app.use('/api/v1', cors({ origin: ops.corsOrigins, maxAge: 600, exposedHeaders: ['X-Request-Id'] }));
  app.use(
    pinoHttp({
      logger,
      // Credentials never reach the logs: bearer tokens, the webhook's basic auth, cookies,
      // and the approval-link tokens that are themselves the credential in their URL.
      serializers: { req: redactRequest },
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) ?? crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/api/v1/health' },
      customProps: (req) => {
        const ticket = TICKET_IN_URL.exec((req as express.Request).originalUrl ?? req.url ?? '');
        return { userId: (req as express.Request).principal?.id, ticketNumber: ticket ? Number(ticket[1]) : undefined };
      },
    }),
  );
  // Reply addresses and approval links are signed with APP_SECRET; without it neither exists.
  const signer = config.appSecret ? createSigner(config.appSecret) : undefined;
  // The inbound email webhook has its own basic auth and body limit, so it sits before both.
  const inbound = signer
    ? createInboundMail({
        models,
        organisation,
        reads,
        service,
        files,
        signer,
        reopenResolved: config.mail?.inbound.reopenResolved ?? true,
        senderPolicy: { domains: config.mail?.inbound.trustedDomains ?? {}, authservIds: config.mail?.inbound.authservIds ?? [] },
        intakeCategoryCode: config.mail?.inbound.categoryCode ?? 'it-hardware',
        logger,
      })
    : undefined;
  app.use('/api/v1/inbound', createInboundRouter({ inbound, settings: config.mail?.inbound }));
  // The identity provider's SCIM client: its own bearer token, its own JSON (application/scim+json) and error bodies.
  if (scim?.token) app.use('/scim/v2', createScimRouter({ models, client, logger, settings: scim, taskQueue: config.temporal.taskQueue }));
  app.use(express.json({ limit: '1mb' }));
  // Reached from email without a bearer token: the signed link is the credential.
  if (signer) app.use('/approval-links', createApprovalLinksRouter({ signer, models, organisation, service, logger, webUrl: mail?.webUrl }));

  const v1 = express.Router();
  v1.get('/health', async (req, res) => {
    await sequelize.authenticate();
    sendData(req, res, { status: 'ok', database: sequelize.getDialect(), temporalNamespace: config.temporal.namespace });
  });
  const openApi = buildOpenApi();
  v1.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  const limiter = (limit: number, keyGenerator: (req: express.Request) => string) =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator,
      handler: (_req, _res, next) => next(new ApiError(429, 'RATE_LIMITED', 'Too many requests; slow down and retry shortly')),
    });
  // Per address before authentication (so bad tokens cannot be sprayed for free), then
  // per person after it (so one busy user cannot starve the others behind one proxy).
  v1.use(limiter(rateLimitPerMinute * 5, (req) => ipKeyGenerator(req.ip ?? 'unknown')));
  v1.use(...authenticate(config.identity, organisation, sequelize, createSignInProvisioning(models, signInProvisioning ?? { domains: [] })));
  v1.use(limiter(rateLimitPerMinute, (req) => `user:${req.principal?.id ?? 'anonymous'}`));
  v1.use(createDirectoryRouter({ organisation }));
  v1.use('/tickets/:number/attachments', createAttachmentsRouter({ files, reads, models }));
  v1.use('/tickets', createTicketsRouter({ service, reads, organisation }));
  v1.use('/tickets', createWatchersRouter({ models, organisation }));
  v1.use('/imports', createImportsRouter({ models, runner: imports }));
  v1.use('/approvals', createApprovalsRouter({ reads, service, models, organisation }));
  v1.use('/admin/inbound-emails', createInboundEmailsRouter({ models }));
  // Before the calendar/SLA router: its admins-only guard would refuse leads' reads here.
  v1.use('/admin/people', createPeopleAdminRouter({ models, client, logger, taskQueue: config.temporal.taskQueue }));
  v1.use('/admin/sla', createSlaWhatIfRouter({ sequelize, models, logger }));
  v1.use('/admin', createAdminConfigRouter({ models, client, taskQueue: config.temporal.taskQueue }));
  v1.use('/admin', createAdminRouter({ models, client, taskQueue: config.temporal.taskQueue, postmark: mail?.postmark, logger }));
  v1.use('/notifications', createNotificationsRouter({ models }));
  v1.use('/saved-filters', createSavedFiltersRouter({ models }));
  v1.use('/live', createLiveRouter({ feed }));
  v1.use('/reports', createReportsRouter({ sequelize }));
  v1.use((_req, _res, next) => next(new ApiError(404, 'NOT_FOUND', 'No such endpoint')));

  app.use('/api/v1', v1);
  app.use((_req, _res, next) => next(new ApiError(404, 'NOT_FOUND', 'No such endpoint')));
  app.use(errorMiddleware(logger));
  return app;
}
