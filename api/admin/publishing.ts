import { UniqueConstraintError, type Model, type ModelStatic } from 'sequelize';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { ApiError, notFound } from '../errors';
import { audit } from './audit';
import { stale } from './versioned';

/**
 * Draft and publish for SLA policies and business calendars. The policy or calendar row is
 * the admin's draft (edited with optimistic concurrency as before); publishing freezes the
 * draft's content into a new immutable version row, audited. New tickets start with the
 * newest published version; running tickets keep theirs until an admin applies a newer one.
 */

export interface Published<C> {
  version: number;
  content: C;
  note: string | null;
  publishedBy: number | null;
  publishedAt: string;
}

export interface VersionedConfig<C> {
  /** The draft rows and their version rows. */
  model: ModelStatic<Model>;
  versions: ModelStatic<Model>;
  /** The version table's column naming its owner: policy_id, calendar_id. */
  ownerKey: string;
  /** Audit entity and the name used in messages. */
  entity: string;
  label: string;
  contentOf: (row: Model) => C;
}

function publishedOf<C>(row: Model): Published<C> {
  return {
    version: row.get('version') as number,
    content: row.get('snapshot') as C,
    note: (row.get('note') as string | null) ?? null,
    publishedBy: (row.get('published_by') as number | null) ?? null,
    publishedAt: new Date(row.get('published_at') as string).toISOString(),
  };
}

/** Same content whatever the key order (a JSON column may hand keys back in another order). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function createPublishing<C>(models: Models, config: VersionedConfig<C>) {
  const { model, versions, ownerKey } = config;

  /** The draft row, or 404 naming what is missing. */
  async function row(id: number): Promise<Model> {
    const found = await model.findByPk(id);
    if (!found) throw notFound(config.label);
    return found;
  }

  async function all(id: number): Promise<Published<C>[]> {
    return (await versions.findAll({ where: { [ownerKey]: id }, order: [['version', 'DESC']] })).map((r) => publishedOf<C>(r));
  }

  /** Newest published version per owner, for lists. */
  async function newestOfAll(): Promise<Map<number, Published<C>>> {
    const rows = await versions.findAll({ order: [[ownerKey, 'ASC'], ['version', 'ASC']] });
    return new Map(rows.map((r) => [r.get(ownerKey) as number, publishedOf<C>(r)]));
  }

  /**
   * The newest published version; a row that was never published through the console (seeded)
   * is published as it stands first, at its own version number — the version its tickets carry.
   */
  async function newest(row: Model): Promise<Published<C>> {
    const id = row.get('id') as number;
    const found = await versions.findOne({ where: { [ownerKey]: id }, order: [['version', 'DESC']] });
    if (found) return publishedOf<C>(found);
    await versions.bulkCreate(
      [{ [ownerKey]: id, version: row.get('version'), snapshot: config.contentOf(row), note: 'published as first set up', published_by: null, published_at: new Date() }],
      { ignoreDuplicates: true },
    );
    return publishedOf<C>((await versions.findOne({ where: { [ownerKey]: id }, order: [['version', 'DESC']] }))!);
  }

  /** A row never published through the console counts as published as it stands, at its own version (as new tickets see it). */
  function asPublished(row: Model): Published<C> {
    return { version: row.get('version') as number, content: config.contentOf(row), note: null, publishedBy: null, publishedAt: new Date(row.get('created_at') as string).toISOString() };
  }

  return {
    row,
    all,
    newestOfAll,
    newest,
    asPublished,
    /** Whether the draft differs from what was last published. */
    unpublished(row: Model, published: Published<C> | undefined): boolean {
      return !published || canonical(config.contentOf(row)) !== canonical(published.content);
    },

    /** Freezes the draft (at `expectedVersion`, the draft the admin saw) as the next version; audited. */
    async publish(actor: UserProfile, id: number, expectedVersion: number, note: string | undefined): Promise<{ previous: Published<C>; published: Published<C> }> {
      const draft = await row(id);
      if ((draft.get('version') as number) !== expectedVersion) throw stale(config.label.toLowerCase(), expectedVersion);
      const previous = await newest(draft);
      const content = config.contentOf(draft);
      if (canonical(content) === canonical(previous.content)) {
        throw new ApiError(409, 'NOTHING_TO_PUBLISH', `The draft is the same as published version ${previous.version}; edit it first`, [{ field: 'expectedVersion', message: 'nothing changed since the last publish' }]);
      }
      const version = previous.version + 1;
      try {
        await versions.create({ [ownerKey]: id, version, snapshot: content, note: note ?? null, published_by: actor.id, published_at: new Date() });
      } catch (err) {
        // Two admins publishing at once: the second finds the version number taken.
        if (err instanceof UniqueConstraintError) throw stale(config.label.toLowerCase(), expectedVersion);
        throw err;
      }
      const published = (await all(id)).find((p) => p.version === version)!;
      await audit(models, actor, config.entity, id, 'publish', { version: previous.version, ...previous.content }, { version, note: note ?? null, ...content });
      return { previous, published };
    },
  };
}
