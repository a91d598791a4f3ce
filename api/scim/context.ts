import type { Request } from 'express';
import { SCIMMY } from 'scimmy-routers';
import type { Model } from 'sequelize';
import type { Models } from '../../lib/db/models';
import { auditChange, type ChangeActor, type PeopleStore, type PersonView } from './people';

/** What every SCIM handler gets (SCIMMY passes it through as `ctx`): this app's stores and this request's actor and preconditions. */
export interface ScimContext {
  models: Models;
  people: PeopleStore;
  actor: ChangeActor;
  /** The version an If-Match header demands, if any (a mismatch answers 412). */
  ifMatch(): number | undefined;
  scimUser(id: string): Promise<Model | null>;
  audit(entity: string, id: number | string, action: string, before: unknown, after: unknown): Promise<void>;
  afterChange(before: PersonView | null, after: PersonView): Promise<void>;
  groupsChanged(userIds: number[]): Promise<void>;
}

export function parseIfMatch(req: Request): number | undefined {
  const header = req.header('if-match');
  if (!header || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  // An ETag this provider never issued cannot match the current version.
  if (!match) throw new SCIMMY.Types.Error(412, null!, 'If-Match does not name a version of this resource');
  return Number(match[1]);
}

export function scimUserLookup(models: Models) {
  return async (id: string): Promise<Model | null> => (/^\d{1,9}$/.test(id) ? models.User.findOne({ where: { id: Number(id), scim_managed: true } }) : null);
}

export const auditAs = (models: Models, actor: ChangeActor) => (entity: string, id: number | string, action: string, before: unknown, after: unknown) =>
  auditChange(models, actor, entity, id, action, before, after);

/** SCIMMY turns any foreign error into a 404; say what really happened instead. */
export function asScimError(err: unknown): Error {
  if (err instanceof SCIMMY.Types.Error) return err;
  const name = (err as Error)?.name;
  if (name === 'StaleVersion') return new SCIMMY.Types.Error(412, null!, 'The resource changed since the version in If-Match; read it again');
  if (name === 'SequelizeUniqueConstraintError') return new SCIMMY.Types.Error(409, 'uniqueness', 'A unique attribute is already taken');
  return new SCIMMY.Types.Error(500, null!, 'The directory could not be written');
}

export async function scimGuard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asScimError(err);
  }
}
