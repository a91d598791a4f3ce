import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { SCIMMY, SCIMMYRouters } from 'scimmy-routers';
import type { Models } from '../../lib/db/models';
import { applyGroupMappings } from './access';
import { auditAs, parseIfMatch, scimUserLookup, type ScimContext } from './context';
import { declareGroups } from './groups';
import { createPeopleStore, type ChangeActor } from './people';
import { createPersonEffects } from './person-effects';
import { normaliseUserPatch } from './patch-normalise';
import { declareUsers, publishSchemas } from './users';

export interface ScimSettings {
  /** The bearer token the identity provider's SCIM client presents (SCIM_TOKEN); no token, no SCIM endpoint. */
  token: string;
  /** How the client is named in the audit log. */
  clientName?: string;
}

let declared = false;
/** SCIMMY keeps its resource declarations process-wide; each app passes its own stores through the request context. */
function declareOnce(): void {
  if (declared) return;
  declared = true;
  declareUsers();
  declareGroups();
  // RFC 7643 §3: "schemas" is always returned. SCIMMY declares it without `returned: "always"`, so an
  // `attributes=` or `excludedAttributes=` request (also a root /.search over both types) would drop it
  // and a client could no longer tell a User from a Group.
  for (const schema of [SCIMMY.Schemas.User, SCIMMY.Schemas.Group]) schema.definition.attribute('schemas').config.returned = 'always';
}

const tokenMatches = (given: string, expected: string) => {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
};

function bearerValid(req: Request, expected: string): boolean {
  const token = /^Bearer (.+)$/i.exec(req.header('authorization') ?? '')?.[1]?.trim();
  return !!token && tokenMatches(token, expected);
}

/**
 * The SCIM 2.0 service provider (RFC 7643/7644) at /scim/v2, built on SCIMMY's schemas,
 * filters and PATCH and scimmy-routers' endpoints. Two things Express 5 needs from us:
 * `req.query` is a getter there, so the routers' paging casts are made on a writable copy;
 * and ETags (If-Match → 412, ETag on every resource) are added around the routers.
 */
export function createScimRouter({ models, client, logger, settings, taskQueue }: { models: Models; client: Client; logger: Logger; settings: ScimSettings; taskQueue: string }): Router {
  declareOnce();
  const people = createPeopleStore(models);
  const effects = createPersonEffects({ models, client, logger, taskQueue });
  const applyMappings = async (userIds: number[]) => {
    const teamIds = await applyGroupMappings(models, people, actor, userIds);
    if (teamIds.length) await effects.teamsChanged(teamIds, `team membership changed by the directory (${actor.label})`);
  };
  const actor: ChangeActor = { userId: null, label: `scim:${settings.clientName ?? 'identity provider'}` };

  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true, enumerable: true });
    // Every resource carries its version as a weak ETag (RFC 7644 §3.14).
    const send = res.send.bind(res);
    // Case-insensitive like Express's own routing (and SCIMMY's), so no spelling of a path slips past these.
    const isSchemas = /^\/Schemas(\/|$)/i.test(req.path);
    res.send = (body?: unknown) => {
      if (isSchemas && body && typeof body === 'object' && !Buffer.isBuffer(body)) return send(publishSchemas(body));
      const version = (body as { meta?: { version?: string } } | undefined)?.meta?.version;
      if (typeof version === 'string' && !res.headersSent) res.setHeader('ETag', version);
      return send(body);
    };
    next();
  });

  // PATCH on a User is read here (the routers' own parser then sees a parsed body and skips) so that
  // operations on the whole enterprise extension can be rewritten before SCIMMY applies them.
  const scimJson = express.json({ type: ['application/scim+json', 'application/json'], limit: '1mb' });
  router.patch(/^\/Users\/[^/]+$/i, (req: Request, res: Response, next: NextFunction) => {
    if (!bearerValid(req, settings.token)) return next();
    scimJson(req, res, (err?: unknown) => {
      if (err) {
        const status = (err as { status?: number }).status ?? 400;
        res.status(status).setHeader('Content-Type', 'application/scim+json');
        res.send(new SCIMMY.Messages.Error({ status: status as 400, scimType: 'invalidSyntax', message: `The PatchOp body is not valid JSON: ${(err as Error).message}` }));
        return;
      }
      req.body = normaliseUserPatch(req.body);
      next();
    });
  });

  // Discovery endpoints are read-only: other methods are 405 (RFC 7644 §4), not the routers' 404.
  router.all(/^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/.*)?$/i, (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || !bearerValid(req, settings.token)) return next();
    res.status(405).setHeader('Allow', 'GET').setHeader('Content-Type', 'application/scim+json');
    res.send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '405', detail: `${req.method} is not supported on ${req.path}` });
  });

  const scim = new SCIMMYRouters({
    type: 'bearer',
    docUri: 'https://github.com/ticketing/README.md#scim',
    handler: (req: Request) => {
      if (!bearerValid(req, settings.token)) throw new Error('A valid SCIM bearer token is required');
      return actor.label;
    },
    context: (req: Request): ScimContext => ({
      models,
      people,
      actor,
      ifMatch: () => parseIfMatch(req),
      scimUser: scimUserLookup(models),
      audit: auditAs(models, actor),
      async afterChange(before, after) {
        await effects.afterChange(actor.label!, before, after);
        if (before && before.active !== after.active) await applyMappings([after.id]);
      },
      groupsChanged: applyMappings,
    }),
  });
  // After the routers are built (they set the defaults): this provider supports ETags, not bulk, and sorts.
  SCIMMY.Config.set({ etag: true, bulk: false, patch: true, filter: { supported: true, maxResults: 200 }, changePassword: false, sort: true });
  router.use(scim);
  return router;
}
