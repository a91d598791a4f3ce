import crypto from 'node:crypto';
import { DEMO_USERS, demoSubject } from '../lib/db/demo-org';
import { obtainAccessToken } from '../test/support/oidc-login';

/**
 * Demo tickets for a fresh `npm start`: a few dozen requests raised through the real API
 * (so every one is a real workflow) and walked by the people who would act on them to
 * realistic states: waiting for approval, approved, rejected, in progress, waiting on the
 * requester or a vendor, resolved, closed, cancelled. Critical ones left unanswered breach
 * their first-response target within the quarter hour of business time. Every role then
 * finds a working desk on first sign-in.
 */

type Key = (typeof DEMO_USERS)[number]['key'];
interface Options {
  apiUrl: string;
  issuerUrl: string;
  webUrl: string;
  say: (message: string) => void;
}

export async function raiseDemoTickets({ apiUrl, issuerUrl, webUrl, say }: Options): Promise<number> {
  const tokens = new Map<Key, string>();
  async function token(who: Key): Promise<string> {
    if (!tokens.has(who)) {
      const { accessToken } = await obtainAccessToken({ issuerUrl, clientId: 'ticketing-portal', redirectUri: `${webUrl}/auth/callback`, audience: 'https://api.ticketing.local', sub: demoSubject(who) });
      tokens.set(who, accessToken);
    }
    return tokens.get(who)!;
  }
  async function call<T = any>(who: Key, method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${await token(who)}`, 'content-type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const envelope = (await response.json()) as { success: boolean; data: T; error?: { message: string } };
    if (!envelope.success) throw new Error(`${who} ${method} ${path}: ${envelope.error?.message ?? response.status}`);
    return envelope.data;
  }
  /** The read model catches up a moment after each change; the next step waits for it. */
  async function until(number: number, done: (t: Ticket) => boolean, reader: Key = 'ada'): Promise<Ticket> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ticket = await call<Ticket>(reader, 'GET', `/tickets/${number}`);
      if (done(ticket)) return ticket;
      if (Date.now() > deadline) throw new Error(`#${number} stayed ${ticket.status}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  const { categories } = await call<{ categories: Array<{ id: number; code: string }> }>('ada', 'GET', '/catalog');
  const category = (code: string) => categories.find((c) => c.code === code)!.id;
  const ids = new Map<number, Key>();
  for (const u of DEMO_USERS) ids.set((await call<{ id: number }>(u.key, 'GET', '/me')).id, u.key);

  async function raise(who: Key, code: string, title: string, description: string, customFields: Record<string, unknown> = {}, priority = 'medium'): Promise<number> {
    const t = await call<Ticket>(who, 'POST', '/tickets', { title, description, categoryId: category(code), customFields, priority });
    return t.number;
  }
  const act = (who: Key, number: number, action: string, body: Record<string, unknown> = {}) => call(who, 'POST', `/tickets/${number}/actions/${action}`, body);
  const say_ = (who: Key, number: number, body: string, visibility = 'public') => call(who, 'POST', `/tickets/${number}/messages`, { body, visibility });
  const approve = async (who: Key, number: number, decision = 'approve', extra: Record<string, unknown> = {}) => {
    // What the caller may decide is the reader's own: read as the approver, who gets the step's actions once it reaches them.
    const t = await until(number, (x) => x.approvalActions?.length > 0 || x.status !== 'pending_approval', who);
    return call(who, 'POST', `/tickets/${number}/approval/${decision}`, { step: t.approval?.current ?? 0, ...extra });
  };
  /** Takes a routed ticket into work by its team: assigned to someone of the team if no strategy did, then started. */
  async function work(number: number, agent: Key): Promise<Key> {
    let t = await until(number, (x) => x.teamId !== null && ['new', 'triaged', 'assigned'].includes(x.status));
    if (t.assigneeId === null) {
      await act(agent, number, 'assign', { assigneeId: [...ids].find(([, k]) => k === agent)![0] });
      t = await until(number, (x) => x.status === 'assigned');
    }
    const assignee = ids.get(t.assigneeId!) ?? agent;
    await act(assignee, number, 'start');
    await until(number, (x) => x.status === 'in_progress');
    return assignee;
  }
  async function resolve(number: number, agent: Key, reply: string): Promise<Key> {
    const who = await work(number, agent);
    await say_(who, number, reply);
    await act(who, number, 'resolve', { resolution: reply });
    await until(number, (x) => x.status === 'resolved');
    return who;
  }

  const stories: Array<() => Promise<unknown>> = [
    // Waiting for approval, at each step of the purchase chain.
    () => raise('emma', 'fin-purchase', 'Standing desks for the analysts', 'Four standing desks for the new analysts.', { amount: 2500, vendor: 'Acme Office' }),
    () => raise('priya', 'fin-purchase', 'CRM licences for the sales team', 'Twenty seats for the new CRM.', { amount: 7200, vendor: 'Cloudsoft' }, 'high'),
    async () => approve('mark', await raise('emma', 'fin-purchase', 'Conference tickets for the audit team', 'Three tickets for AuditCon.', { amount: 1800, vendor: 'AuditCon' })),
    async () => {
      const n = await raise('priya', 'fin-purchase', 'Trade fair stand', 'A stand at the spring trade fair.', { amount: 9500, vendor: 'FairCo' }, 'high');
      await approve('mark', n);
      await approve('carla', n);
    },
    () => raise('harper', 'hr-leave', 'Two weeks in August', 'Summer holiday.', { start_date: '2027-08-02', end_date: '2027-08-13' }),
    () => raise('fiona', 'hr-leave', 'Long weekend in May', 'Family visit.', { start_date: '2027-05-14', end_date: '2027-05-17' }, 'low'),
    // Approved and now worked, or refused.
    async () => {
      const n = await raise('emma', 'fin-purchase', 'Monitors for the finance team', 'Two 27" monitors.', { amount: 600, vendor: 'Acme' });
      await approve('mark', n);
      await work(n, 'fiona');
      await say_('fiona', n, 'Checking the budget line with controlling.', 'internal');
    },
    async () => approve('mark', await raise('emma', 'fin-purchase', 'Ergonomic chairs', 'Three chairs.', { amount: 900, vendor: 'SitWell' }), 'reject', { reason: 'Facilities replaces chairs centrally in Q2.' }),
    async () => approve('mark', await raise('priya', 'fin-purchase', 'Team dinner', 'Quarterly team dinner.', { amount: 450, vendor: 'Trattoria' }), 'request_info', { question: 'How many people, and which budget?' }),
    // IT: new, in progress, waiting, resolved, closed.
    () => raise('emma', 'it-laptop', 'Laptop for a new starter in March', 'Anna starts on 1 March.', { model: 'Standard 14"', needed_by: '2027-03-01' }),
    () => raise('priya', 'it-laptop', 'Replacement laptop, screen cracked', 'Dropped it at the airport.', { model: 'Ultralight 13"' }, 'high'),
    () => raise('mark', 'it-software', 'Power BI Desktop', 'For the monthly reporting.', { software: 'Power BI Desktop' }, 'low'),
    () => raise('carla', 'it-access', 'Access to the treasury system', 'New bank connection.', { system: 'Treasury', justification: 'Quarter-end payments' }, 'high'),
    async () => work(await raise('emma', 'it-access', 'Access to the shared finance drive', 'I cannot open F:\\Reports.', { system: 'File server' }), 'alex'),
    async () => {
      const n = await raise('fiona', 'it-software', 'Excel add-in for SAP', 'The add-in fails to load.', { software: 'SAP Analysis for Office' });
      const who = await work(n, 'sam');
      await act(who, n, 'wait_on_requester', { reason: 'Which Excel version do you have?' });
    },
    async () => {
      const n = await raise('mark', 'it-network', 'VPN drops every few minutes', 'Since the update on Monday.', { location: 'Home office' }, 'high');
      const who = await work(n, 'nina');
      await act(who, n, 'wait_on_vendor', { reason: 'Ticket open with the VPN vendor.' });
    },
    async () => resolve(await raise('priya', 'it-access', 'Password reset for the CRM', 'Locked out.', { system: 'CRM' }, 'high'), 'alex', 'Reset done; please sign in and choose a new password.'),
    async () => {
      const n = await raise('emma', 'it-software', 'Adobe Acrobat Pro', 'For signing contracts.', { software: 'Acrobat Pro' });
      await resolve(n, 'sam', 'Installed through the software centre.');
      await act('emma', n, 'close');
    },
    async () => {
      const n = await raise('carla', 'it-network', 'Wi-Fi weak in meeting room 4', 'Calls drop.', { location: 'Berlin, 4th floor' });
      await resolve(n, 'nina', 'A second access point was added.');
      await act('carla', n, 'close');
    },
    // Critical and unanswered: breaches its first-response target within the quarter hour of business time.
    () => raise('priya', 'it-network', 'Sales floor offline', 'No network on the whole sales floor.', { location: 'New York, 12th floor' }, 'critical'),
    // HR and Facilities.
    () => raise('emma', 'hr-payroll', 'Overtime missing on my payslip', 'October overtime is not on the November payslip.'),
    async () => {
      const n = await raise('priya', 'hr-payroll', 'Bonus payout date', 'When is the Q3 bonus paid?', {}, 'low');
      const who = await work(n, 'harper');
      await say_(who, n, 'With the December payroll run.');
      await act(who, n, 'wait_on_requester', { reason: 'Asked whether that answers it.' });
    },
    async () => resolve(await raise('mark', 'hr-payroll', 'Tax class change', 'I married in September.'), 'harper', 'Updated from the November payroll.'),
    () => raise('emma', 'fac-maintenance', 'Heating broken in room 2.14', 'It is 16 °C.', { room: 'Berlin 2.14' }, 'high'),
    async () => work(await raise('hannah', 'fac-desk-move', 'Move to the HR corner', 'After the reorganisation.', { from_desk: '3.02', to_desk: '3.20' }), 'frank'),
    async () => resolve(await raise('felix', 'fac-maintenance', 'Door lock of the server room', 'Sticks in the morning.', { room: 'Server room' }), 'frank', 'Lock cylinder replaced.'),
    async () => {
      const n = await raise('emma', 'fac-maintenance', 'Lamp flickering', 'Above my desk.', { room: 'Berlin 2.10' }, 'low');
      await act('emma', n, 'cancel', { reason: 'It fixed itself.' });
    },
    async () => resolve(await raise('emma', 'fin-expense', 'Train tickets to Hamburg', 'Client visit.', { amount: 129.9 }), 'fiona', 'Reimbursed with the next salary.'),
    () => raise('priya', 'fin-expense', 'Client dinner in New York', 'Dinner with Globex.', { amount: 340 }),
  ];

  let done = 0;
  for (const story of stories) {
    try {
      await story();
      done += 1;
    } catch (err) {
      say(`a demo ticket could not be walked through: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return done;
}

interface Ticket {
  number: number;
  status: string;
  teamId: number | null;
  assigneeId: number | null;
  approval: { current: number } | null;
  approvalActions: string[];
}
