import crypto from 'node:crypto';
import { APPROVAL_LINK_PURPOSE } from '../../mail/approval-links';
import type { MailDeps } from '../../mail/sender';
import type { MailSink } from '../../mail/sink';
import { createSigner } from '../../lib/signing';
import { startHarness, type Harness } from '../support/harness';
import { APP_SECRET, startTestMail, waitForMail, WEB_URL } from '../support/mail';

let h: Harness;
let sink: MailSink;
let mail: MailDeps;
let origin: string;
let purchase: number;

beforeAll(async () => {
  ({ sink, mail } = await startTestMail());
  h = await startHarness({ worker: false, activityDeps: { mail }, config: { appSecret: APP_SECRET }, appDeps: { mail: { postmark: mail.postmark, webUrl: WEB_URL } } });
  origin = new URL(h.apiUrl).origin;
  // The links point at the API the test started; the worker reads this when it builds each email.
  mail.apiUrl = origin;
  await h.startInProcessWorker();
  purchase = await h.categoryId('fin-purchase');
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await sink?.stop();
});

async function raise(amount = 500) {
  const response = await h.request('POST', '/tickets', {
    as: 'emma',
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { title: `Licences worth ${amount}`, description: 'Design tool', categoryId: purchase, customFields: { amount, vendor: 'Acme' } },
  });
  expect(response.status).toBe(201);
  expect(response.body.data.status).toBe('pending_approval');
  return response.body.data.number as number;
}

async function linksFor(number: number) {
  const email = await waitForMail(sink, (m) => m.recipients.includes('mark@example.com') && m.tag === 'approval_requested' && m.metadata.ticket === String(number), 'approval request to mark');
  const approve = /Approve: (\S+)/.exec(email.textBody ?? '')![1]!;
  const reject = /Reject: (\S+)/.exec(email.textBody ?? '')![1]!;
  expect(email.htmlBody).toContain(`href="${approve}"`);
  return { approve, reject, email };
}

const tokenOf = (url: string) => url.split('/approval-links/')[1]!;
const confirm = (token: string, reason?: string) =>
  fetch(`${origin}/approval-links/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, ...(reason !== undefined ? { reason } : {}) }) });

async function ticket(number: number) {
  return (await h.request('GET', `/tickets/${number}`, { as: 'emma' })).body.data as { status: string };
}
async function decisions(number: number) {
  const events = (await h.request('GET', `/tickets/${number}/events?limit=100`, { as: 'emma' })).body.data as Array<{ type: string }>;
  return events.filter((e) => e.type === 'approval_approved' || e.type === 'approval_rejected').length;
}

describe('one-click approval links', () => {
  test('when the approver follows the link, then the page decides nothing until confirmed, and the link works once', async () => {
    const number = await raise();
    const { approve, reject } = await linksFor(number);
    expect(approve.startsWith(`${origin}/approval-links/`)).toBe(true);

    const page = await fetch(approve);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('Confirm approval');
    expect(html).toContain(`Licences worth 500`);
    expect(html).not.toContain('<script');
    expect((await ticket(number)).status).toBe('pending_approval');

    const confirmed = await confirm(tokenOf(approve));
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Your decision is recorded');
    expect((await ticket(number)).status).not.toBe('pending_approval');

    expect((await confirm(tokenOf(approve))).status).toBe(410);
    expect((await fetch(approve)).status).toBe(410);
    expect((await confirm(tokenOf(reject), 'changed my mind')).status).toBe(410);
    expect(await decisions(number)).toBe(1);
  });

  test('when two confirmations race, then exactly one decides', async () => {
    const number = await raise();
    const { approve } = await linksFor(number);
    const statuses = (await Promise.all([confirm(tokenOf(approve)), confirm(tokenOf(approve))])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 410]);
    expect(await decisions(number)).toBe(1);
  });

  test('when a rejection is confirmed without a reason, then it asks again; with one, the ticket is rejected', async () => {
    const number = await raise();
    const { reject } = await linksFor(number);
    expect(await (await fetch(reject)).text()).toContain('<textarea');
    const noReason = await confirm(tokenOf(reject), '  ');
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('Give a reason');
    expect((await ticket(number)).status).toBe('pending_approval');
    const rejected = await confirm(tokenOf(reject), 'Use the existing licences');
    expect(rejected.status).toBe(200);
    expect((await ticket(number)).status).toBe('rejected');
  });

  test('when the step was already decided in the portal, then the link answers 409 and decides nothing more', async () => {
    const number = await raise();
    const { approve } = await linksFor(number);
    expect((await h.request('POST', `/tickets/${number}/approval/approve`, { as: 'mark', body: {} })).status).toBe(200);
    expect((await fetch(approve)).status).toBe(409);
    expect((await confirm(tokenOf(approve))).status).toBe(409);
    expect(await decisions(number)).toBe(1);
  });

  test('when a link is expired, tampered with or forged, then it gets a clear page and no decision', async () => {
    const number = await raise();
    const { approve } = await linksFor(number);
    const token = tokenOf(approve);
    const payload = { ticket: number, step: 0, approverId: await h.userId('mark'), decision: 'approve', jti: 'a'.repeat(32) };
    const expired = mail.signer!.seal(APPROVAL_LINK_PURPOSE, payload, new Date(Date.now() - 1000));
    expect((await fetch(`${origin}/approval-links/${expired}`)).status).toBe(410);
    expect((await confirm(expired)).status).toBe(410);
    const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    expect((await fetch(`${origin}/approval-links/${tampered}`)).status).toBe(400);
    const forged = createSigner('another-secret-entirely-'.repeat(2)).seal(APPROVAL_LINK_PURPOSE, payload, new Date(Date.now() + 3_600_000));
    const forgedPage = await confirm(forged);
    expect(forgedPage.status).toBe(400);
    expect(await forgedPage.text()).toContain('This link is not valid');
    expect((await confirm('')).status).toBe(400);
    expect((await ticket(number)).status).toBe('pending_approval');
    expect(await decisions(number)).toBe(0);
  });
});
