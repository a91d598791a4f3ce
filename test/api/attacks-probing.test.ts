import crypto from 'node:crypto';
import type { DemoUserKey } from '../support/demo-accounts';
import { startHarness, type Harness } from '../support/harness';
import { servedRoutes } from '../support/routes';

/**
 * A requester probing someone else's ticket through every ticket-scoped path must learn
 * nothing: the answer is the 404 a ticket that does not exist gets, and nothing changes.
 */
let h: Harness;
let number: number;
let attachmentId: string;
let priyaId: number;
const MISSING = 987_654;
const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');

beforeAll(async () => {
  h = await startHarness();
  const created = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: 'Salary letter for the bank', description: 'private', categoryId: await h.categoryId('hr-payroll') },
  });
  expect(created.status).toBe(201);
  number = created.body.data.number;
  const form = new FormData();
  form.append('file', new Blob([PDF]), 'letter.pdf');
  const uploaded = await fetch(`${h.apiUrl}/tickets/${number}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${await h.token('emma')}` }, body: form });
  expect(uploaded.status).toBe(201);
  attachmentId = ((await uploaded.json()) as any).data[0].id;
  priyaId = await h.userId('priya');
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

interface Probe {
  method: string;
  /** With {number}, {id} and {userId} filled per probe. */
  path: string;
  body?: unknown;
  multipart?: boolean;
  /** A query string the route needs to get as far as the ticket check. */
  query?: string;
}

/** Every ticket-scoped operation, with a body it would accept from someone allowed. */
const PROBES: Probe[] = [
  { method: 'GET', path: '/tickets/{number}' },
  { method: 'GET', path: '/tickets/{number}/events' },
  { method: 'GET', path: '/tickets/{number}/live' },
  { method: 'GET', path: '/tickets/{number}/mentionable', query: 'q=em' },
  { method: 'GET', path: '/tickets/{number}/sla' },
  { method: 'GET', path: '/tickets/{number}/messages' },
  { method: 'POST', path: '/tickets/{number}/messages', body: { body: 'Is this yours?', visibility: 'public' } },
  { method: 'POST', path: '/tickets/{action-number}/actions/cancel', body: { reason: 'probing' } },
  { method: 'PATCH', path: '/tickets/{number}/custom-fields', body: { customFields: { amount: 1 }, expectedVersion: 1 } },
  { method: 'POST', path: '/tickets/{number}/approval/approve', body: {} },
  { method: 'POST', path: '/tickets/{number}/attachments', multipart: true },
  { method: 'GET', path: '/tickets/{number}/attachments' },
  { method: 'GET', path: '/tickets/{number}/attachments/{id}/content' },
  { method: 'GET', path: '/tickets/{number}/attachments/{id}/downloads' },
  { method: 'POST', path: '/tickets/{number}/attachments/{id}/scan', body: {} },
  { method: 'GET', path: '/tickets/{number}/watchers' },
  { method: 'POST', path: '/tickets/{number}/watchers', body: {} },
  { method: 'DELETE', path: '/tickets/{number}/watchers/{userId}' },
];

async function probe(as: DemoUserKey, p: Probe, ticket: number) {
  const path = p.path
    .replace('{action-number}', String(ticket))
    .replace('{number}', String(ticket))
    .replace('{id}', attachmentId)
    .replace('{userId}', String(priyaId)) + (p.query ? `?${p.query}` : '');
  const headers: Record<string, string> = { authorization: `Bearer ${await h.token(as)}` };
  let body: FormData | string | undefined;
  if (p.multipart) {
    const form = new FormData();
    form.append('file', new Blob([PDF]), 'mine-now.pdf');
    body = form;
  } else if (p.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(p.body);
  }
  const response = await fetch(`${h.apiUrl}${path}`, { method: p.method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined, raw: text };
}

/** What could change: the ticket row, its events, messages, files and watchers. */
async function footprint() {
  const { models } = h.db;
  const where = { where: { ticket_number: number } };
  return {
    ticket: (await models.Ticket.findByPk(number))!.get({ plain: true }),
    events: await models.TicketEvent.count(where),
    messages: await models.TicketMessage.count(where),
    attachments: await models.Attachment.count(where),
    downloads: await models.AttachmentDownload.count(),
    watchers: (await models.TicketWatcher.findAll(where)).map((w) => w.get('user_id')).sort(),
  };
}

describe('a requester probing another person’s ticket', () => {
  test('every ticket-scoped route the API serves is probed here', () => {
    const served = servedRoutes(h.app).filter((r) => r.includes('/tickets/{number}'));
    const probed = PROBES.map((p) => `${p.method} ${p.path.replace('{action-number}', '{number}').replace('/actions/cancel', '/actions/{action}').replace('/approval/approve', '/approval/{decision}')}`);
    expect(served.sort()).toEqual([...probed].sort());
  });

  test.each(PROBES.map((p) => [`${p.method} ${p.path}`, p] as const))('when Priya sends %s for Emma’s ticket, then the answer is the 404 of a ticket that does not exist', async (_name, p) => {
    const before = await footprint();
    const probed = await probe('priya', p, number);
    const missing = await probe('priya', p, MISSING);
    expect({ status: probed.status, code: probed.body?.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(probed.body.error.message).toBe(missing.body.error.message);
    expect(probed.status).toBe(missing.status);
    // Nothing about the ticket leaks into the answer.
    expect(probed.raw).not.toContain('Salary letter');
    expect(probed.raw).not.toContain('letter.pdf');
    expect(await footprint()).toEqual(before);
  });

  test('when Emma herself reads the same paths, then they answer (the probe targets are real)', async () => {
    for (const path of [`/tickets/${number}`, `/tickets/${number}/messages`, `/tickets/${number}/attachments`, `/tickets/${number}/attachments/${attachmentId}/content`]) {
      const response = await fetch(`${h.apiUrl}${path}`, { headers: { authorization: `Bearer ${await h.token('emma')}` } });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
  });

  test('when Priya names Emma’s ticket in a bulk action or bulk approval, then that ticket answers 404 and nothing changes', async () => {
    const before = await footprint();
    const bulk = await h.request('POST', '/tickets/bulk/actions/set_priority', { as: 'priya', body: { numbers: [number], priority: 'critical' } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.data.results).toEqual([expect.objectContaining({ number, status: 404 })]);
    const approve = await h.request('POST', '/approvals/bulk-approve', { as: 'priya', body: { numbers: [number] } });
    expect(approve.status).toBe(200);
    expect(approve.body.data.results).toEqual([expect.objectContaining({ number, status: 404 })]);
    expect(await footprint()).toEqual(before);
  });

  test('when Priya lists, filters or exports tickets, then Emma’s never appears', async () => {
    const list = await h.request('GET', `/tickets?q=${encodeURIComponent('Salary letter')}`, { as: 'priya' });
    expect(list.status).toBeLessThan(500);
    expect(JSON.stringify(list.body)).not.toContain('Salary letter');
    const csv = await fetch(`${h.apiUrl}/tickets/export`, { headers: { authorization: `Bearer ${await h.token('priya')}` } });
    expect(csv.status).toBe(200);
    expect(await csv.text()).not.toContain('Salary letter');
  });
});
