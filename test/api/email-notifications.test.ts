import crypto from 'node:crypto';
import pino from 'pino';
import { ServerClient } from 'postmark';
import { createActivities } from '../../activities';
import { INLINE_SEND_BUDGET_MS } from '../../activities/notifications';
import type { MailDeps } from '../../mail/sender';
import type { MailSink } from '../../mail/sink';
import { createEmailRelay } from '../../mail/relay';
import { stateQuery, ticketWorkflowId, type NotifyInput } from '../../workflows/definitions';
import type { Harness } from '../support/harness';
import { waitUntil } from '../support/wait';
import { raiseWithEmailsSent, startMailHarness, stopMailHarness, SUPPORT_ADDRESS, waitForMail, WEB_URL } from '../support/mail';
import type { DemoUserKey } from '../support/demo-accounts';

let h: Harness, sink: MailSink, mail: MailDeps, postmark: ServerClient, payroll: number;
beforeAll(async () => void ({ h, sink, mail, postmark, payroll } = await startMailHarness()), 120_000);
afterAll(() => stopMailHarness({ h, sink }));

const emailOf = (user: DemoUserKey) => `${user}@example.com`;
const raise = (title = 'Overtime missing') => raiseWithEmailsSent(h, payroll, title);

const about = (n: number, to: DemoUserKey, tag: string) => (m: { recipients: string[]; tag: string | null; metadata: Record<string, string> }) =>
  m.recipients.includes(emailOf(to)) && m.tag === tag && m.metadata.ticket === String(n);

describe('email out through the Postmark client, into the local sink', () => {
  test('when a ticket is created, then the requester gets a receipt and the team a notice, each threaded to the ticket', async () => {
    const { number } = await raise();
    const receipt = await waitForMail(sink, about(number, 'emma', 'created'), 'receipt to emma');
    expect(receipt.templateAlias).toBe('created');
    expect(receipt.subject).toBe(`Received: #${number} Overtime missing`);
    expect(receipt.textBody).toContain(`${WEB_URL}/tickets/${number}`);
    // The relay builds it from what the projection has just written: the person's name and the ticket's title.
    expect(receipt.textBody).toContain('Hello Emma Employee,');
    expect(receipt.textBody).toContain(`#${number} Overtime missing`);
    expect(receipt.htmlBody).toContain(`href="${WEB_URL}/tickets/${number}"`);
    const [local, domain] = receipt.replyTo!.split('@');
    expect(domain).toBe(SUPPORT_ADDRESS.split('@')[1]);
    expect(mail.signer!.ticketFromMailboxHash(local!.replace(/^support\+/, ''))).toBe(number);
    expect(receipt.headers).toEqual(
      expect.arrayContaining([
        { Name: 'Message-ID', Value: expect.stringMatching(new RegExp(`^<ticket-${number}\\.event-\\d+\\.receipt\\.\\d+@ticketing\\.local>$`)) },
        { Name: 'References', Value: `<ticket-${number}@ticketing.local>` },
      ]),
    );
    await waitForMail(sink, about(number, 'harper', 'new_ticket'), 'team notice to harper');
    await waitForMail(sink, about(number, 'hannah', 'new_ticket'), 'team notice to hannah');
  });

  test('when a lead assigns the ticket, then the assignee gets an email', async () => {
    const { number } = await raise('Assignment mail');
    const assigned = await h.request('POST', `/tickets/${number}/actions/assign`, { as: 'hannah', body: { assigneeId: await h.userId('harper') } });
    expect(assigned.status).toBe(200);
    const email = await waitForMail(sink, about(number, 'harper', 'assigned'), 'assignment to harper');
    expect(email.subject).toBe(`Assigned to you: #${number} Assignment mail`);
  });

  test('when an agent writes an internal note and then a public reply, then the requester gets only the reply, and the note reaches no mailbox', async () => {
    const { number } = await raise('Note leak check');
    const secret = `SECRET-${crypto.randomUUID()}`;
    expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: `Internal: ${secret}`, visibility: 'internal' } })).status).toBe(201);
    expect((await h.request('POST', `/tickets/${number}/messages`, { as: 'harper', body: { body: 'We are on it.' } })).status).toBe(201);
    const reply = await waitForMail(sink, about(number, 'emma', 'public_reply'), 'public reply to emma');
    expect(reply.textBody).toContain('We are on it.');
    expect(reply.replyTo).toMatch(new RegExp(`^support\\+t${number}-[0-9a-f]{20}@ticketing\\.local$`));
    const everything = JSON.stringify(sink.messages());
    expect(everything).not.toContain(secret);
    const toEmma = sink.messages({ to: emailOf('emma') }).filter((m) => m.metadata.ticket === String(number));
    expect(toEmma.map((m) => m.tag).sort()).toEqual(['created', 'public_reply']);
  });

  /** The delivery workflows started for a ticket's notifications (named by the first of each batch). */
  async function deliveriesOf(number: number): Promise<{ notifications: string[]; deliveries: string[] }> {
    const notifications = (await h.db.models.EmailOutbox.findAll({ where: { ticket_number: number } })).map((r) => r.get('notification_id') as string);
    const deliveries: string[] = [];
    for (const id of [...new Set(notifications)].sort()) {
      const found = await h.env.client.workflow.getHandle(`email-delivery-${id}`).describe().then(
        () => true,
        (err: Error) => (err.name === 'WorkflowNotFoundError' ? false : Promise.reject(err)),
      );
      if (found) deliveries.push(id);
    }
    return { notifications, deliveries };
  }

  const sentOnce = (number: number, notifications: string[]) => {
    const keys = sink.messages().filter((m) => m.metadata.ticket === String(number)).map((m) => `${m.metadata.notification}:${m.recipients.join(',')}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(notifications.length);
  };

  test('when a ticket is created and Postmark answers, then its receipt and team notices are recorded with its projection in its one workflow task and emailed by the relay, with no activity task and no delivery workflow, each email once', async () => {
    const { number } = await raise('Batched notices');
    await waitForMail(sink, about(number, 'emma', 'created'), 'receipt to emma');
    await waitForMail(sink, about(number, 'harper', 'new_ticket'), 'team notice to harper');
    await waitForMail(sink, about(number, 'hannah', 'new_ticket'), 'team notice to hannah');
    const history = await h.env.client.workflow.getHandle(`ticket-${number}`).fetchHistory();
    const activities = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    expect(activities).toEqual([]);
    expect((history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    const localActivities = (history.events ?? []).flatMap((e) => {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_local_activity') return [];
      const data = marker.details?.data?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type] : [];
    });
    // Payroll assigns by hand: the task's only local activity is the projection that recorded the notices.
    expect(localActivities).toEqual(['projectAndNotify']);
    const { notifications, deliveries } = await deliveriesOf(number);
    expect(new Set(notifications).size).toBeGreaterThanOrEqual(2);
    expect(deliveries).toEqual([]);
    const rows = await h.db.models.EmailOutbox.findAll({ where: { ticket_number: number } });
    expect(rows.map((r) => r.get('status'))).toEqual(rows.map(() => 'sent'));
    sentOnce(number, notifications);
  });

  test("when Postmark refuses a new ticket's emails at once, then one delivery workflow sends them, each once", async () => {
    const refusedBefore = sink.refusedSends();
    sink.failNextSends(1, 503);
    const { number } = await raise('Notices refused at first');
    await waitForMail(sink, about(number, 'emma', 'created'), 'receipt to emma');
    await waitForMail(sink, about(number, 'harper', 'new_ticket'), 'team notice to harper');
    await waitForMail(sink, about(number, 'hannah', 'new_ticket'), 'team notice to hannah');
    // The relay's one call for the ticket's emails was the one refused.
    expect(sink.refusedSends()).toBe(refusedBefore + 1);
    const { notifications, deliveries } = await deliveriesOf(number);
    // One delivery for the whole batch, named by its first notification, which sent every email the relay could not.
    expect(deliveries).toHaveLength(1);
    const emails = sink.messages().filter((m) => m.metadata.ticket === String(number));
    expect(await h.env.client.workflow.getHandle(`email-delivery-${deliveries[0]}`).result()).toEqual({ sent: emails.length, failed: 0, pending: 0 });
    sentOnce(number, notifications);
  });

  test('when Postmark answers slowly, then the create is answered without waiting for it, the relay stops waiting after its budget and hands the batch to a delivery workflow, and every email still goes out once', async () => {
    const slowMs = INLINE_SEND_BUDGET_MS + 3_000;
    sink.answerSlowly(1, slowMs);
    const asked = Date.now();
    const created = await h.request('POST', '/tickets', { as: 'emma', headers: { 'Idempotency-Key': crypto.randomUUID() }, body: { title: 'Slow Postmark', description: 'October payslip', categoryId: payroll } });
    expect(created.status).toBe(201);
    // Postmark is not on the ticket's path: the answer came well before the slow send could end.
    expect(Date.now() - asked).toBeLessThan(INLINE_SEND_BUDGET_MS);
    const { number } = created.body.data as { number: number };
    await waitUntil(
      `a delivery workflow for ticket #${number}'s emails once the relay's budget ran out`,
      () => deliveriesOf(number),
      ({ deliveries }) => deliveries.length > 0,
      { timeoutMs: slowMs + 10_000 },
    );
    // Started after the budget, not at once: the relay waited on Postmark for its budget first.
    expect(Date.now() - asked).toBeGreaterThanOrEqual(INLINE_SEND_BUDGET_MS);
    const { notifications, deliveries } = await deliveriesOf(number);
    expect(deliveries).toHaveLength(1);
    await h.env.client.workflow.getHandle(`email-delivery-${deliveries[0]}`).result();
    sentOnce(number, notifications);
  }, 60_000);

  test('when notify runs while Postmark is down, then it only records; the delivery retries and sends once, and later deliveries send nothing more', async () => {
    const { number } = await raise('Dedupe');
    // No Temporal client: nothing starts a delivery workflow, so this test drives delivery itself.
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const input: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Dedupe check', recipients: { userIds: [await h.userId('emma')] } };
    const refusedBefore = sink.refusedSends();
    sink.failNextSends(1, 503, input.id);
    expect(await activities.notify(input)).toMatchObject({ delivered: 1 });
    const key = `${input.id}:${await h.userId('emma')}`;
    expect((await h.db.models.EmailOutbox.findByPk(key))!.get('status')).toBe('pending');
    expect(sink.refusedSends()).toBe(refusedBefore);
    await expect(activities.deliverNotificationEmails({ notificationId: input.id })).rejects.toMatchObject({ statusCode: 503 });
    expect((await h.db.models.EmailOutbox.findByPk(key))!.get('status')).toBe('pending');
    await activities.notify(input);
    expect(await activities.deliverNotificationEmails({ notificationId: input.id })).toEqual({ sent: 1, failed: 0, pending: 0 });
    expect(await activities.deliverNotificationEmails({ notificationId: input.id })).toEqual({ sent: 0, failed: 0, pending: 0 });
    const sent = sink.messages().filter((m) => m.metadata.notification === input.id);
    expect(sent).toHaveLength(1);
    const row = (await h.db.models.EmailOutbox.findByPk(key))!;
    expect(row.get('status')).toBe('sent');
    expect(row.get('message_id')).toBe(sent[0]!.id);
    expect(row.get('attempts')).toBe(2);
  });

  test('when notifyAll is retried, then the notifications and emails of its batch are recorded and sent once, and it answers as it did the first time', async () => {
    const { number } = await raise('Retried batch');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail });
    const [emma, harper] = [await h.userId('emma'), await h.userId('harper')];
    const notice = (body: string, userIds: number[]): NotifyInput => ({ id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body, recipients: { userIds } });
    const batch = [notice('For two', [emma, harper]), notice('For one', [emma]), notice('For nobody', [])];
    const first = await activities.notifyAll(batch);
    expect(first).toEqual([
      { delivered: 2, recipients: [emma, harper] },
      { delivered: 1, recipients: [emma] },
      { delivered: 0, recipients: [] },
    ]);
    expect(await activities.notifyAll(batch)).toEqual(first);
    const ids = batch.map((n) => n.id);
    const inPortal = await h.db.models.Notification.findAll({ where: { ticket_number: number }, attributes: ['id'] });
    expect(inPortal.map((n) => n.get('id') as string).filter((id) => ids.some((n) => id.startsWith(`${n}:`))).sort()).toEqual([`${ids[0]}:${emma}`, `${ids[0]}:${harper}`, `${ids[1]}:${emma}`].sort());
    const emails = await h.db.models.EmailOutbox.findAll({ where: { notification_id: ids } });
    expect(emails.map((e) => [e.get('id'), e.get('status'), e.get('attempts')]).sort()).toEqual(
      [`${ids[0]}:${emma}`, `${ids[0]}:${harper}`, `${ids[1]}:${emma}`].sort().map((id) => [id, 'sent', 1]),
    );
    expect(sink.messages().filter((m) => ids.includes(m.metadata.notification!))).toHaveLength(3);
  });

  test('when projectAndNotify is retried, then its projection is applied once, its notifications and emails are recorded and sent once, and it answers for the same people', async () => {
    const { number } = await raise('Retried projection with notices');
    const emailRelay = createEmailRelay(pino({ level: 'silent' }));
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail, emailRelay });
    const state = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).query(stateQuery);
    const [emma, harper] = [await h.userId('emma'), await h.userId('harper')];
    const notice = (body: string, userIds: number[]): NotifyInput => ({ id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body, recipients: { userIds } });
    const notifications = [notice('For two', [emma, harper]), notice('For nobody', [])];
    const { projectedVersion, recentEvents, slaSummary, approvalSummary, autoCloseAt, workflowId, ...ticket } = state;
    // A version past the read row's, with its event, so the first attempt has something to project.
    const event = { seq: state.version + 1, type: 'internal_note', actorId: null, actorName: 'System', fromStatus: null, toStatus: null, data: { body: 'projected with notices' }, occurredAt: new Date().toISOString(), visibility: 'internal' as const };
    const batch = { ticket: { ...ticket, version: state.version + 1, updatedAt: event.occurredAt }, workflowId, events: [event], notifications };
    expect(await activities.projectAndNotify(batch)).toEqual({ applied: true, notified: [2, 0] });
    await emailRelay.idle();
    // The retry finds the row at its version (nothing applied again) and the notifications recorded.
    expect(await activities.projectAndNotify(batch)).toEqual({ applied: false, notified: [2, 0] });
    await emailRelay.idle();
    const ids = notifications.map((n) => n.id);
    const inPortal = await h.db.models.Notification.findAll({ where: { ticket_number: number }, attributes: ['id'] });
    expect(inPortal.map((n) => n.get('id') as string).filter((id) => ids.some((n) => id.startsWith(`${n}:`))).sort()).toEqual([`${ids[0]}:${emma}`, `${ids[0]}:${harper}`].sort());
    const emails = await h.db.models.EmailOutbox.findAll({ where: { notification_id: ids } });
    expect(emails.map((e) => [e.get('id'), e.get('status'), e.get('attempts')]).sort()).toEqual([`${ids[0]}:${emma}`, `${ids[0]}:${harper}`].sort().map((id) => [id, 'sent', 1]));
    expect(sink.messages().filter((m) => ids.includes(m.metadata.notification!))).toHaveLength(2);
    expect((await h.db.models.Ticket.findByPk(number))!.get('seq')).toBe(state.version + 1);
    expect(await h.db.models.TicketEvent.count({ where: { ticket_number: number, seq: state.version + 1 } })).toBe(1);
  });

  test('when a retried projection finds its email recorded for an address the person has since changed, then the relay sends it to the recorded address, as every other sender would', async () => {
    const { number } = await raise('Address changed between attempts');
    const emailRelay = createEmailRelay(pino({ level: 'silent' }));
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail, emailRelay });
    const state = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).query(stateQuery);
    const harper = await h.userId('harper');
    const notice: NotifyInput = { id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Where does it go?', recipients: { userIds: [harper] } };
    // The first attempt recorded the row (and died before sending) while harper had another address.
    await h.db.models.EmailOutbox.create({ id: `${notice.id}:${harper}`, notification_id: notice.id, user_id: harper, ticket_number: number, kind: notice.kind, to_address: 'harper.before@example.com', status: 'pending', attempts: 0, created_at: new Date(), updated_at: new Date() });
    const { projectedVersion, recentEvents, slaSummary, approvalSummary, autoCloseAt, workflowId, ...ticket } = state;
    expect(await activities.projectAndNotify({ ticket, workflowId, events: [], notifications: [notice] })).toEqual({ applied: false, notified: [1] });
    await emailRelay.idle();
    expect(sink.messages().filter((m) => m.metadata.notification === notice.id).map((m) => m.recipients)).toEqual([['harper.before@example.com']]);
  });

  test('when the notifications of a projection cannot be recorded, then the projection still stands and it answers that none were, for the ticket to run them as notifyAll', async () => {
    const { number } = await raise('Projection without notices');
    const activities = createActivities({ sequelize: h.db.sequelize, models: h.db.models, logger: pino({ level: 'silent' }), mail, emailRelay: createEmailRelay(pino({ level: 'silent' })) });
    const state = await h.env.client.workflow.getHandle(ticketWorkflowId(number)).query(stateQuery);
    const { projectedVersion, recentEvents, slaSummary, approvalSummary, autoCloseAt, workflowId, ...ticket } = state;
    // A later version than the read row holds, with one event, so the projection has something to apply.
    const event = { seq: state.version + 1, type: 'internal_note', actorId: null, actorName: 'System', fromStatus: null, toStatus: null, data: { body: 'projected while notifications fail' }, occurredAt: new Date().toISOString(), visibility: 'internal' as const };
    const later = { ...ticket, version: state.version + 1, updatedAt: event.occurredAt };
    const notifications: NotifyInput[] = [{ id: `test-${crypto.randomUUID()}`, ticketNumber: number, kind: 'status_changed', title: `Update on #${number}`, body: 'Lost?', recipients: { userIds: [await h.userId('emma')] } }];
    await h.db.sequelize.query('ALTER TABLE notifications RENAME TO notifications_away');
    try {
      expect(await activities.projectAndNotify({ ticket: later, workflowId, events: [event], notifications })).toEqual({ applied: true, notified: null });
    } finally {
      await h.db.sequelize.query('ALTER TABLE notifications_away RENAME TO notifications');
    }
    expect((await h.db.models.Ticket.findByPk(number))!.get('seq')).toBe(state.version + 1);
    expect(await h.db.models.TicketEvent.count({ where: { ticket_number: number, seq: state.version + 1 } })).toBe(1);
    expect(await h.db.models.EmailOutbox.count({ where: { notification_id: notifications[0]!.id } })).toBe(0);
  });
});

describe('notification template administration', () => {
  test('when an admin lists and reads templates, then every notification kind is there, paginated; a lead reads them, an agent may not', async () => {
    const list = await h.request('GET', '/admin/notification-templates?limit=5', { as: 'ada' });
    expect(list.status).toBe(200);
    expect(list.body.pagination).toMatchObject({ page: 1, limit: 5, total: 14 });
    const one = await h.request('GET', '/admin/notification-templates/approval_requested', { as: 'ada' });
    expect(one.body.data).toMatchObject({ alias: 'approval_requested', version: 1 });
    expect(one.body.data.htmlBody).toContain('{{#approval}}');
    expect((await h.request('GET', '/admin/notification-templates/nope', { as: 'ada' })).status).toBe(404);
    // Leads see the console read-only (templates included); people without a lead or admin role are refused.
    expect((await h.request('GET', '/admin/notification-templates', { as: 'hannah' })).status).toBe(200);
    expect((await h.request('PUT', '/admin/notification-templates/approval_requested', { as: 'hannah', body: {} })).status).toBe(403);
    expect((await h.request('GET', '/admin/notification-templates', { as: 'alex' })).status).toBe(403);
  });

  test('when a template is refused, then 422 names the field and nothing changes', async () => {
    const current = (await h.request('GET', '/admin/notification-templates/created', { as: 'ada' })).body.data;
    const bad = await h.request('PUT', '/admin/notification-templates/created', {
      as: 'ada',
      body: { subject: '{{#ticket}}Hi', htmlBody: '<p>{{ticket.password}}</p>', textBody: 'ok', expectedVersion: current.version },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['htmlBody', 'subject']);
    expect((await h.request('GET', '/admin/notification-templates/created', { as: 'ada' })).body.data.version).toBe(current.version);
    const shape = await h.request('PUT', '/admin/notification-templates/created', { as: 'ada', body: { subject: 'x', htmlBody: 'y', textBody: 'z' } });
    expect(shape.status).toBe(400);
    expect(shape.body.error.details[0].field).toBe('expectedVersion');
  });

  test('when an admin edits a template, then it is audited, pushed to Postmark and used; a stale version is refused', async () => {
    const current = (await h.request('GET', '/admin/notification-templates/created', { as: 'ada' })).body.data;
    const body = { subject: 'We got it: #{{ticket.number}}', htmlBody: current.htmlBody, textBody: current.textBody, expectedVersion: current.version };
    const edited = await h.request('PUT', '/admin/notification-templates/created', { as: 'ada', body });
    expect(edited.status).toBe(200);
    expect(edited.body.data).toMatchObject({ version: current.version + 1, pushedToPostmark: true, updatedBy: await h.userId('ada') });
    expect((await postmark.getTemplate('created')).Subject).toBe(body.subject);
    const stale = await h.request('PUT', '/admin/notification-templates/created', { as: 'ada', body });
    expect(stale.status).toBe(409);
    const audit = await h.request('GET', '/admin/audit?entity=notification_template&entityId=created', { as: 'ada' });
    expect(audit.body.data[0]).toMatchObject({ action: 'update', before: { subject: current.subject }, after: { subject: body.subject } });
    const { number } = await raise('After edit');
    expect((await waitForMail(sink, about(number, 'emma', 'created'), 'receipt with the edited subject')).subject).toBe(`We got it: #${number}`);
  });
});
