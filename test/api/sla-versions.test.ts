import crypto from 'node:crypto';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/wait';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

async function raise(title: string): Promise<{ number: number; resolutionDue: string; sla: { policyId: number; policyVersion: number; resolution: { targetMinutes: number } } }> {
  const created = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title, description: 'Needs a dock', categoryId: await h.categoryId('it-laptop'), priority: 'low' },
  });
  expect(created.status).toBe(201);
  return (await h.request('GET', `/tickets/${created.body.data.number}`, { as: 'emma' })).body.data;
}

async function recomputed(number: number): Promise<string[]> {
  const events = await h.request('GET', `/tickets/${number}/events?limit=100`, { as: 'emma' });
  return events.body.data.filter((e: { type: string }) => e.type === 'sla_recomputed').map((e: { data: { reason: string } }) => e.data.reason);
}

describe('SLA policy versions', () => {
  test('when a policy draft is saved, published and applied to open tickets, then only the apply moves open tickets, as previewed, each recording why; new tickets start with the published version', async () => {
    const first = await raise('Dock for desk 1');
    const policyId = first.sla.policyId;
    const [policy] = (await h.request('GET', '/admin/sla-policies', { as: 'ada' })).body.data.filter((p: { id: number }) => p.id === policyId);
    expect(policy.published.version).toBe(first.sla.policyVersion);
    const fromVersion = policy.published.version as number;

    // A draft edit: audited, but no ticket — new or open — sees it.
    const { id: _id, departmentId: _d, teamId: _t, priority: _p, published: _pub, unpublishedChanges: _u, ...editable } = policy;
    const halved = policy.resolutionMinutes / 2;
    const draft = await h.request('PUT', `/admin/sla-policies/${policyId}`, { as: 'ada', body: { ...editable, resolutionMinutes: halved } });
    expect(draft.status).toBe(200);
    expect(draft.body.data).toMatchObject({ resolutionMinutes: halved, unpublishedChanges: true, published: { version: fromVersion } });
    const second = await raise('Dock for desk 2');
    expect(second.sla).toMatchObject({ policyId, policyVersion: fromVersion });

    expect((await h.request('POST', `/admin/sla-policies/${policyId}/publish`, { as: 'lee', body: { expectedVersion: draft.body.data.version } })).status).toBe(403);
    expect((await h.request('POST', `/admin/sla-policies/${policyId}/publish`, { as: 'ada', body: { expectedVersion: policy.version } })).status).toBe(409);
    const published = await h.request('POST', `/admin/sla-policies/${policyId}/publish`, { as: 'ada', body: { expectedVersion: draft.body.data.version, note: 'Faster for docks' } });
    expect(published.status).toBe(200);
    const toVersion = fromVersion + 1;
    expect(published.body.data).toMatchObject({ previousVersion: fromVersion, policy: { published: { version: toVersion, note: 'Faster for docks' }, unpublishedChanges: false } });
    const again = await h.request('POST', `/admin/sla-policies/${policyId}/publish`, { as: 'ada', body: { expectedVersion: draft.body.data.version } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOTHING_TO_PUBLISH');
    const audit = await h.request('GET', `/admin/audit?entity=sla_policy&entityId=${policyId}`, { as: 'ada' });
    expect(audit.body.data.map((a: { action: string }) => a.action)).toEqual(['publish', 'update']);
    expect(audit.body.data[0]).toMatchObject({ actorId: await h.userId('ada'), before: { version: fromVersion }, after: { version: toVersion, resolutionMinutes: halved } });
    const versions = await h.request('GET', `/admin/sla-policies/${policyId}/versions`, { as: 'ada' });
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([toVersion, fromVersion]);

    const third = await raise('Dock for desk 3');
    expect(third.sla).toMatchObject({ policyId, policyVersion: toVersion, resolution: { targetMinutes: halved } });
    // Open tickets keep their version until the admin applies the new one.
    expect((await h.request('GET', `/tickets/${first.number}`, { as: 'emma' })).body.data.resolutionDue).toBe(first.resolutionDue);
    expect(await recomputed(first.number)).toEqual([]);

    const preview = await h.request('GET', `/admin/sla-policies/${policyId}/apply-preview`, { as: 'ada' });
    expect(preview.status).toBe(200);
    const listed = preview.body.data.tickets.map((t: { number: number }) => t.number);
    expect(listed).toEqual(expect.arrayContaining([first.number, second.number]));
    expect(listed).not.toContain(third.number);
    const firstMove = preview.body.data.tickets.find((t: { number: number }) => t.number === first.number);
    expect(firstMove).toMatchObject({ moves: true, fromVersion, resolutionDue: { before: first.resolutionDue } });
    expect(new Date(firstMove.resolutionDue.after).getTime()).toBeLessThan(new Date(first.resolutionDue).getTime());

    const applied = await h.request('POST', `/admin/sla-policies/${policyId}/apply-to-open`, { as: 'ada', body: {} });
    expect(applied.status).toBe(202);
    expect(applied.body.data).toMatchObject({ version: toVersion, openTickets: preview.body.data.openTickets, moving: preview.body.data.moving });
    const told = await h.env.client.workflow.getHandle(applied.body.data.fanOut.workflowId).result();
    expect(told.signalled).toBe(preview.body.data.openTickets);

    const moved = await waitUntil(
      'the first ticket to move onto the new policy version',
      () => h.request('GET', `/tickets/${first.number}`, { as: 'emma' }),
      (r) => r.body.data.sla.policyVersion === toVersion,
      { timeoutMs: 15_000 },
    );
    // As previewed, to the second (MariaDB's DATETIME keeps no milliseconds).
    expect(Math.abs(new Date(moved.body.data.resolutionDue).getTime() - new Date(firstMove.resolutionDue.after).getTime())).toBeLessThan(1000);
    const why = await recomputed(first.number);
    expect(why).toEqual([`policy #${policyId} (low) v${fromVersion}→v${toVersion}: resolution ${policy.resolutionMinutes} → ${halved} min, applied to open tickets by Ada Admin`]);
    // The ticket started on the new version has nothing to apply.
    expect(await recomputed(third.number)).toEqual([]);
    const auditApply = await h.request('GET', `/admin/audit?entity=sla_policy&entityId=${policyId}`, { as: 'ada' });
    expect(auditApply.body.data[0]).toMatchObject({ action: 'apply_to_open', after: { version: toVersion, workflowId: applied.body.data.fanOut.workflowId } });

    // The requester reads the deadline's explanation: the steps, their reasons, and minutes that add up.
    const explained = await h.request('GET', `/tickets/${first.number}/sla`, { as: 'emma' });
    expect(explained.status).toBe(200);
    expect(explained.body.data.source).toBe('live');
    const { steps, resolution } = explained.body.data.explanation;
    expect(steps.map((s: { reason: string }) => s.reason)).toEqual(['clocks started', why[0]]);
    expect(steps[0].text).toContain(`policy #${policyId} (low) v${fromVersion}`);
    expect(steps[1]).toMatchObject({ policy: `policy #${policyId} (low) v${toVersion}`, resolution: { targetMinutes: halved } });
    expect(steps.reduce((sum: number, s: { resolution: { countedMs: number } }) => sum + s.resolution.countedMs, 0)).toBe(resolution.spentMs);
    expect((await h.request('GET', `/tickets/${first.number}/sla`, { as: 'priya' })).status).toBe(404);
  });
});
