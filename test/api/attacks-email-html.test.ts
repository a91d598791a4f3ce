import crypto from 'node:crypto';
import type { MailSink } from '../../mail/sink';
import { renderTemplate } from '../../mail/mustachio';
import { defaultTemplates, templateFieldProblems, type TemplateModel } from '../../mail/templates';
import { startHarness, type Harness } from '../support/harness';
import { APP_SECRET, startTestMail, waitForMail, WEB_URL } from '../support/mail';

/**
 * HTML and script typed into any free-text field must arrive in email as inert text: escaped in
 * the HTML body of every template, and never let through by an admin's template edit.
 */
const SCRIPT = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(2)>';
const ATTR = '" onmouseover="alert(3)';
const PAYLOAD = `${SCRIPT}${IMG}${ATTR}`;
/** Markup that would be live in an HTML body. */
const LIVE = /<script|<img|onerror=|onmouseover="alert/i;

function hostileModel(): TemplateModel {
  return {
    product_name: `Desk ${PAYLOAD}`,
    support_address: `support${PAYLOAD}@ticketing.local`,
    recipient: { name: `Emma ${PAYLOAD}`, email: 'emma@example.com' },
    ticket: { number: 42, title: `Title ${PAYLOAD}`, url: `${WEB_URL}/tickets/42` },
    notification: { kind: 'public_reply', title: `Re: ${PAYLOAD}`, body: `Reply ${PAYLOAD}` },
    approval: { approve_url: `${WEB_URL}/a`, reject_url: `${WEB_URL}/r`, expires_at: `soon ${PAYLOAD}` },
  };
}

describe('free text in email templates', () => {
  test.each(defaultTemplates().map((t) => [t.alias, t] as const))('when every text field of the %s email holds markup, then its HTML body shows it as text', (_alias, template) => {
    const html = renderTemplate(template.htmlBody, hostileModel(), { html: true });
    expect(html).not.toMatch(LIVE);
    // The text is still there, escaped, so the test is not passing on an empty render.
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  test('when an admin writes a triple-stash placeholder into an HTML body, then the edit is refused naming it', () => {
    const [template] = defaultTemplates();
    const problems = templateFieldProblems({ ...template!, htmlBody: '<p>{{{ticket.title}}}</p><p>{{{notification.body}}}</p>' });
    expect(problems).toEqual([
      { field: 'htmlBody', message: '{{{ticket.title}}} would put text people typed into the email unescaped; use {{ticket.title}}' },
      { field: 'htmlBody', message: '{{{notification.body}}} would put text people typed into the email unescaped; use {{notification.body}}' },
    ]);
    // Plain text bodies are not HTML: the same placeholder there is harmless.
    expect(templateFieldProblems({ ...template!, textBody: '{{{ticket.title}}}' })).toEqual([]);
  });
});

describe('free text through the product into the mailbox', () => {
  let h: Harness;
  let sink: MailSink;
  beforeAll(async () => {
    const started = await startTestMail();
    sink = started.sink;
    h = await startHarness({ activityDeps: { mail: started.mail }, config: { appSecret: APP_SECRET }, appDeps: { mail: { postmark: started.postmark, webUrl: WEB_URL } } });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await sink?.stop();
  });

  test('when a ticket title and a reply hold markup, then the emails sent carry them as escaped text', async () => {
    const title = `Laptop ${SCRIPT}${IMG} ${crypto.randomUUID().slice(0, 6)}`;
    const created = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title, description: PAYLOAD, categoryId: await h.categoryId('hr-payroll') } });
    expect(created.status).toBe(201);
    const number = created.body.data.number as number;
    const receipt = await waitForMail(sink, (m) => m.tag === 'created' && m.metadata.ticket === String(number), 'the receipt for the hostile ticket');
    expect(receipt.htmlBody).not.toMatch(LIVE);
    // The subject is a header, not HTML: the text is kept as typed, on one line.
    expect(receipt.subject).toContain(title);
    expect(receipt.subject).not.toMatch(/[\r\n]/);

    // An agent's reply quoting markup reaches the requester with title and reply escaped.
    const reply = await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { body: `Please do not paste ${PAYLOAD}`, visibility: 'public' } });
    expect(reply.status).toBe(201);
    const notice = await waitForMail(sink, (m) => m.tag === 'public_reply' && m.metadata.ticket === String(number) && m.recipients.includes('emma@example.com'), 'the reply notice to emma');
    expect(notice.htmlBody).not.toMatch(LIVE);
    expect(notice.htmlBody).toContain('Laptop &#60;script&#62;alert(1)&#60;/script&#62;&#60;img src&#61;x onerror&#61;alert(2)&#62;');
    expect(notice.htmlBody).toContain('Please do not paste &#60;script&#62;');
    expect(notice.htmlBody).toContain('&#34; onmouseover&#61;&#34;alert(3)');
  });
});
