import type { Client } from '@temporalio/client';
import type { Model } from 'sequelize';
import { z } from 'zod';
import { onOlderPolicy } from '../../lib/db/open-tickets';
import { calendarContentOf, policyContentOf, type CalendarContent, type PolicyContent } from '../../lib/db/config-snapshot';
import type { Models } from '../../lib/db/models';
import type { UserProfile } from '../../lib/db/organisation';
import { policyFanOutWorkflowId, type openTicketsFanOutWorkflow } from '../../workflows/fan-out';
import type { BusinessCalendar } from '../../workflows/domain/business-time';
import { validatePolicy } from '../../workflows/domain/sla-clock';
import { STATUSES, type SlaPolicySnapshot } from '../../workflows/domain/types';
import { ApiError, validationError } from '../errors';
import { previewMoves, withPolicy, type ApplyPreview } from './apply-preview';
import { audit } from './audit';
import { createPublishing, type Published } from './publishing';

export const SlaPolicyBody = z.strictObject({
  firstResponseMinutes: z.number(),
  resolutionMinutes: z.number(),
  clock: z.enum(['business', '24x7']),
  pauseStatuses: z.array(z.enum(STATUSES)).max(STATUSES.length),
  ladder: z
    .array(
      z.strictObject({
        afterMinutes: z.number(),
        action: z.enum(['notify_role', 'assign_backup', 'bump_priority', 'page_oncall']),
        clock: z.enum(['first_response', 'resolution']).optional(),
        role: z.string().trim().min(1).max(48).optional(),
      }),
    )
    .max(20),
  version: z.number().int().min(1),
});
export type SlaPolicyBody = z.infer<typeof SlaPolicyBody>;

/** Publishing freezes the draft the admin saw (`expectedVersion`), with an optional note for the audit and the tickets. */
export const PublishBody = z.strictObject({ expectedVersion: z.number().int().min(1), note: z.string().trim().max(500).optional() });
export const ApplyToOpenBody = z.strictObject({ note: z.string().trim().max(500).optional() });

type PublishedView = { version: number; note: string | null; publishedBy: number | null; publishedAt: string };

function view(row: Model, published?: Published<PolicyContent>, unpublishedChanges = false) {
  return {
    id: row.get('id') as number,
    departmentId: row.get('department_id') as number,
    teamId: (row.get('team_id') as number | null) ?? null,
    priority: row.get('priority') as string,
    ...policyContentOf(row),
    version: row.get('version') as number,
    published: published ? publishedView(published) : null,
    unpublishedChanges,
  };
}

function publishedView<C>(p: Published<C>): PublishedView {
  return { version: p.version, note: p.note, publishedBy: p.publishedBy, publishedAt: p.publishedAt };
}

/** "first response 60 → 30 min; pause statuses changed": why the open tickets' targets move. */
export function describePolicyChange(before: PolicyContent, after: PolicyContent): string {
  const reasons: string[] = [];
  if (before.firstResponseMinutes !== after.firstResponseMinutes) reasons.push(`first response ${before.firstResponseMinutes} → ${after.firstResponseMinutes} min`);
  if (before.resolutionMinutes !== after.resolutionMinutes) reasons.push(`resolution ${before.resolutionMinutes} → ${after.resolutionMinutes} min`);
  if (before.clock !== after.clock) reasons.push(`clock ${before.clock} → ${after.clock}`);
  if (JSON.stringify([...before.pauseStatuses].sort()) !== JSON.stringify([...after.pauseStatuses].sort())) reasons.push(`pauses in ${after.pauseStatuses.join(', ') || 'no status'}`);
  if (JSON.stringify(before.ladder) !== JSON.stringify(after.ladder)) reasons.push('escalation ladder changed');
  return reasons.join('; ') || 'policy republished';
}

/**
 * SLA policies: the row is the draft; publishing makes a new version that tickets created
 * afterwards start with. Running tickets keep the version they started with unless the admin
 * applies the newest version to open tickets, through a durable fan-out workflow.
 */
export function createSlaPolicyAdmin({ models, client, taskQueue }: { models: Models; client: Client; taskQueue: string }) {
  const publishing = createPublishing<PolicyContent>(models, {
    model: models.SlaPolicy,
    versions: models.SlaPolicyVersion,
    ownerKey: 'policy_id',
    entity: 'sla_policy',
    label: 'SLA policy',
    contentOf: policyContentOf,
  });

  const row = (id: number) => publishing.row(id);

  function snapshotOf(policy: Model, published: Published<PolicyContent>): SlaPolicySnapshot {
    return {
      id: policy.get('id') as number,
      version: published.version,
      departmentId: policy.get('department_id') as number,
      teamId: (policy.get('team_id') as number | null) ?? null,
      priority: policy.get('priority') as SlaPolicySnapshot['priority'],
      ...published.content,
    };
  }

  async function preview(id: number): Promise<ApplyPreview & { reason: string }> {
    const policy = await row(id);
    const versions = await publishing.all(id);
    const newest = versions[0] ?? (await publishing.newest(policy));
    const target = snapshotOf(policy, newest);
    const older = versions[1] ?? newest;
    // The calendars tickets run on, at their versions (published ones, else the calendar as it stands).
    const [calendarVersions, calendars] = await Promise.all([
      models.BusinessCalendarVersion.findAll({ order: [['calendar_id', 'ASC'], ['version', 'ASC']] }),
      models.BusinessCalendar.findAll(),
    ]);
    const calendarAt = (id: number | null, version: number | null): BusinessCalendar | undefined => {
      const ofCalendar = calendarVersions.filter((v) => v.get('calendar_id') === id);
      const exact = ofCalendar.find((v) => v.get('version') === version) ?? ofCalendar[ofCalendar.length - 1];
      if (exact) return exact.get('snapshot') as CalendarContent;
      const live = calendars.find((c) => c.get('id') === id);
      return live ? calendarContentOf(live) : undefined;
    };
    const now = new Date();
    const result = await previewMoves(models, onOlderPolicy(id, newest.version), newest.version, 'sla_policy_version', (ticket) => {
      const from = versions.find((v) => v.version === ticket.get('sla_policy_version')) ?? older;
      const calendar = calendarAt(ticket.get('sla_calendar_id') as number | null, ticket.get('sla_calendar_version') as number | null);
      return calendar ? withPolicy(ticket, snapshotOf(policy, from), target, calendar, now) : null;
    });
    return { ...result, reason: describePolicyChange(older.content, newest.content) };
  }

  return {
    async list() {
      const [rows, newest] = await Promise.all([models.SlaPolicy.findAll({ order: [['department_id', 'ASC'], ['id', 'ASC']] }), publishing.newestOfAll()]);
      return rows.map((r) => {
        const published = newest.get(r.get('id') as number) ?? publishing.asPublished(r);
        return view(r, published, publishing.unpublished(r, published));
      });
    },

    /** Saves the draft: nothing changes for any ticket until it is published. */
    async update(actor: UserProfile, id: number, body: SlaPolicyBody) {
      const problems = validatePolicy(body);
      if (problems.length > 0) throw validationError(problems, 'The SLA policy is not usable');
      const current = await row(id);
      // A policy never published through the console is published as it stands before its first draft edit.
      await publishing.newest(current);
      const before = view(current);
      const [updated] = await models.SlaPolicy.update(
        {
          first_response_minutes: body.firstResponseMinutes,
          resolution_minutes: body.resolutionMinutes,
          clock: body.clock,
          pause_statuses: body.pauseStatuses,
          escalation_ladder: body.ladder,
          version: body.version + 1,
        },
        { where: { id, version: body.version } },
      );
      if (updated === 0) throw new ApiError(409, 'STALE_VERSION', `The policy changed since version ${body.version}; reload it`, [{ field: 'version', message: 'is stale' }]);
      const saved = await row(id);
      const published = await publishing.newest(saved);
      const after = view(saved, published, publishing.unpublished(saved, published));
      await audit(models, actor, 'sla_policy', id, 'update', before, { ...after, published: undefined, unpublishedChanges: undefined });
      return after;
    },

    async versions(id: number) {
      await row(id);
      return (await publishing.all(id)).map((p) => ({ ...publishedView(p), ...p.content }));
    },

    /** A separate, audited step: new tickets start with the published version; open tickets keep theirs. */
    async publish(actor: UserProfile, id: number, body: z.infer<typeof PublishBody>) {
      const { previous, published } = await publishing.publish(actor, id, body.expectedVersion, body.note);
      const saved = await row(id);
      return {
        policy: view(saved, published, false),
        previousVersion: previous.version,
        reason: describePolicyChange(previous.content, published.content),
        openTickets: (await preview(id)).openTickets,
      };
    },

    preview,

    /** Starts the durable fan-out that applies the newest version to open tickets on older ones; audited. */
    async applyToOpen(actor: UserProfile, id: number, body: z.infer<typeof ApplyToOpenBody>) {
      const policy = await row(id);
      const newest = await publishing.newest(policy);
      const { reason: changes, openTickets, moving } = await preview(id);
      const reason = `${changes}${body.note ? ` (${body.note})` : ''}, applied to open tickets by ${actor.name}`;
      const workflowId = policyFanOutWorkflowId(id, newest.version);
      await client.workflow.start<typeof openTicketsFanOutWorkflow>('openTicketsFanOutWorkflow', {
        workflowId,
        taskQueue,
        args: [{ change: { kind: 'sla_policy', policy: snapshotOf(policy, newest) }, reason }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `SLA policy #${id} (${policy.get('priority')}) v${newest.version} to its open tickets`.slice(0, 200),
        staticDetails: `Reason: ${reason}`,
      });
      await audit(models, actor, 'sla_policy', id, 'apply_to_open', null, { version: newest.version, reason, workflowId, openTickets, moving });
      return { version: newest.version, reason, openTickets, moving, fanOut: { workflowId } };
    },
  };
}
