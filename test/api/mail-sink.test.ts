import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Errors, ServerClient } from 'postmark';
import { startMailSink, type MailSink } from '../../mail/sink';

const TOKEN = 'sink-test-token';
let sink: MailSink;
let client: ServerClient;
let dir: string;

const clientFor = (url: string, token = TOKEN) => new ServerClient(token, { useHttps: false, requestHost: new URL(url).host, timeout: 10 });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-sink-'));
  sink = await startMailSink({ serverToken: TOKEN, file: path.join(dir, 'mailbox.jsonl'), inactiveRecipients: ['bounced@example.com'] });
  client = clientFor(sink.url);
});

afterAll(async () => {
  await sink?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the local Postmark sink, called by the real postmark client', () => {
  test('when a plain email is sent, then it answers as Postmark does and the mailbox has it', async () => {
    const sent = await client.sendEmail({ From: 'Desk <desk@example.com>', To: 'Emma <emma@example.com>', Subject: 'Hi', TextBody: 'Hello', Tag: 'plain' });
    expect(sent).toMatchObject({ ErrorCode: 0, Message: 'OK', To: 'Emma <emma@example.com>' });
    expect(sent.MessageID).toMatch(/^[0-9a-f-]{36}$/);
    const api = (await (await fetch(`${sink.url}/api/messages?to=emma@example.com&tag=plain`)).json()) as { messages: Array<{ id: string; subject: string }> };
    expect(api.messages[0]).toMatchObject({ id: sent.MessageID, subject: 'Hi' });
  });

  test('when a template is created and used, then the sink renders it with HTML escaping only in the HTML body', async () => {
    const created = await client.createTemplate({ Name: 'Greeting', Alias: 'greeting', Subject: 'Hi {{name}}', HtmlBody: '<p>{{name}} {{{raw}}}</p>{{#items}}<i>{{label}}</i>{{/items}}', TextBody: 'Hi {{name}} {{user.city}}' });
    expect(created).toMatchObject({ Alias: 'greeting', Active: true, TemplateType: 'Standard' });
    const sent = await client.sendEmailWithTemplate({
      From: 'desk@example.com',
      To: 'ann@example.com',
      TemplateAlias: 'greeting',
      TemplateModel: { name: '<Ann & Co>', raw: '<b>ok</b>', items: [{ label: 'a' }, { label: 'b' }], user: { city: 'Oslo' } },
    });
    const [message] = sink.messages({ to: 'ann@example.com' });
    expect(message).toMatchObject({ id: sent.MessageID, subject: 'Hi <Ann & Co>', textBody: 'Hi <Ann & Co> Oslo', templateAlias: 'greeting' });
    expect(message!.htmlBody).toBe('<p>&#60;Ann &#38; Co&#62; <b>ok</b></p><i>a</i><i>b</i>');

    const edited = await client.editTemplate('greeting', { Subject: 'Hello {{name}}' });
    expect(edited.TemplateId).toBe(created.TemplateId);
    expect((await client.getTemplate(created.TemplateId)).Subject).toBe('Hello {{name}}');
    expect((await client.getTemplates()).Templates.map((t) => t.Alias)).toContain('greeting');
    await client.deleteTemplate('greeting');
    await expect(client.getTemplate('greeting')).rejects.toMatchObject({ statusCode: 422, code: 1101 });
    await expect(client.sendEmailWithTemplate({ From: 'desk@example.com', To: 'ann@example.com', TemplateAlias: 'greeting', TemplateModel: {} })).rejects.toMatchObject({ code: 1101 });
  });

  test('when a template does not parse, then Postmark-style 422 refuses it', async () => {
    await expect(client.createTemplate({ Name: 'Broken', Alias: 'broken', Subject: 'x', HtmlBody: '{{#a}}never closed' })).rejects.toMatchObject({ statusCode: 422, code: 1100 });
    await expect(client.createTemplate({ Name: '', Subject: 'x', HtmlBody: 'y' })).rejects.toMatchObject({ statusCode: 422, code: 1105 });
  });

  test('when a batch mixes good and bad messages, then each answers for itself', async () => {
    const results = await client.sendEmailBatch([
      { From: 'desk@example.com', To: 'one@example.com', Subject: 'One', TextBody: '1' },
      { From: 'desk@example.com', To: 'not-an-address', Subject: 'Two', TextBody: '2' },
    ]);
    expect(results[0]).toMatchObject({ ErrorCode: 0, To: 'one@example.com' });
    expect(results[1]).toMatchObject({ ErrorCode: 300 });
    await client.createTemplate({ Name: 'T', Alias: 'batch-t', Subject: 'S {{n}}', TextBody: 'B {{n}}' });
    const templated = await client.sendEmailBatchWithTemplates([
      { From: 'desk@example.com', To: 'two@example.com', TemplateAlias: 'batch-t', TemplateModel: { n: 2 } },
      { From: 'desk@example.com', To: 'three@example.com', TemplateAlias: 'missing', TemplateModel: {} },
    ]);
    expect(templated.map((r) => r.ErrorCode)).toEqual([0, 1101]);
    expect(sink.messages({ to: 'two@example.com' })[0]).toMatchObject({ subject: 'S 2', textBody: 'B 2' });
  });

  test('when a send is refused as an outage, then a batch is refused whole, as one refused send, and none of it reaches the mailbox', async () => {
    await client.createTemplate({ Name: 'Outage', Alias: 'outage-t', Subject: 'S', TextBody: 'B' });
    const message = (to: string, notification: string) => ({ From: 'desk@example.com', To: to, TemplateAlias: 'outage-t', TemplateModel: {}, Metadata: { notification } });
    const refusedBefore = sink.refusedSends();
    sink.failNextSends(1, 503, 'targeted');
    const refused = await client.sendEmailBatchWithTemplates([message('first@example.com', 'other'), message('second@example.com', 'targeted')]).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 503 });
    expect(sink.refusedSends()).toBe(refusedBefore + 1);
    expect(sink.messages({ to: 'first@example.com' })).toEqual([]);
    // The fault is used up: the same batch again goes through, each message answering for itself.
    expect((await client.sendEmailBatchWithTemplates([message('first@example.com', 'other'), message('second@example.com', 'targeted')])).map((r) => r.ErrorCode)).toEqual([0, 0]);
  });

  test('when the token is wrong, then it is a 401 with ErrorCode 10 (InvalidAPIKeyError)', async () => {
    const error = await clientFor(sink.url, 'wrong').sendEmail({ From: 'desk@example.com', To: 'x@example.com', Subject: 's', TextBody: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Errors.InvalidAPIKeyError);
    expect(error).toMatchObject({ statusCode: 401, code: 10 });
  });

  test('when an address is invalid or inactive, then 422 with ErrorCode 300 or 406', async () => {
    const invalid = await client.sendEmail({ From: 'desk@example.com', To: 'Emma <emma@@example>', Subject: 's', TextBody: 't' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(Errors.InvalidEmailRequestError);
    expect(invalid).toMatchObject({ statusCode: 422, code: 300 });
    const inactive = await client.sendEmail({ From: 'desk@example.com', To: 'bounced@example.com', Subject: 's', TextBody: 't' }).catch((e: unknown) => e);
    expect(inactive).toBeInstanceOf(Errors.InactiveRecipientsError);
    expect((inactive as Errors.InactiveRecipientsError).recipients).toEqual(['bounced@example.com']);
  });

  test('when the mailbox page shows hostile content, then everything is escaped and the HTML body is sandboxed', async () => {
    await client.sendEmail({ From: 'desk@example.com', To: 'evil@example.com', Subject: '<script>alert(1)</script>', HtmlBody: '<img src=x onerror=alert(2)>"quoted"', TextBody: '<b>t</b>' });
    const list = await fetch(`${sink.url}/`);
    expect(list.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await list.text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&#60;script&#62;alert(1)');
    const id = sink.messages({ to: 'evil@example.com' })[0]!.id;
    const detail = await (await fetch(`${sink.url}/messages/${id}`)).text();
    expect(detail).toContain('<iframe sandbox="" title="HTML body" srcdoc="&#60;img src&#61;x onerror&#61;alert(2)&#62;&#34;quoted&#34;">');
    expect(detail).toContain('<pre>&#60;b&#62;t&#60;/b&#62;</pre>');
  });

  test('when the sink restarts on the same file, then the mailbox is still there', async () => {
    const before = sink.messages().length;
    const again = await startMailSink({ serverToken: TOKEN, file: path.join(dir, 'mailbox.jsonl') });
    try {
      expect(again.messages()).toHaveLength(before);
    } finally {
      await again.stop();
    }
  });
});
