import { Op } from 'sequelize';
import { stateQuery, ticketWorkflowId } from '../../workflows/definitions';
import type { Lifecycle, World } from './world';

/** The chaos run's closing check: does what the product holds agree with what the scenario did? */

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Check {
  consistent: boolean;
  problems: string[];
  lost: number;
  duplicated: number;
  emails: number;
  pages: number;
}

const EXPECTED_ACTIONS: Record<Lifecycle['kind'], string[]> = { purchase: ['assign', 'start', 'resolve'], payroll: ['assign', 'start', 'resolve'] };

/**
 * The scenario's closing check: every ticket it confirmed exists once, its workflow's state equals
 * its read row with every event projected once (seq 1..version, each action once), its reply
 * stored once, every email of its notifications sent exactly once, every page delivered.
 */
export async function check(world: World, lives: Lifecycle[], options: { pagesExpected: boolean }): Promise<Check> {
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  const numbers: number[] = [];
  for (const life of lives) {
    const rows = await world.models.Ticket.findAll({ where: { title: life.title } });
    if (rows.length > 1) {
      duplicated += rows.length - 1;
      problems.push(`${life.title}: ${rows.length} tickets for one create`);
    }
    if (life.number === undefined) {
      // Never confirmed: not lost unless a ticket exists half-made (checked like the others below).
      if (rows.length === 0) continue;
      life.number = rows[0]!.get('number') as number;
    }
    numbers.push(life.number);
    const row = rows.find((r) => r.get('number') === life.number);
    let state: { status: string; version: number; projectedVersion: number };
    try {
      state = (await world.temporal.workflow.getHandle(ticketWorkflowId(life.number)).query(stateQuery)) as typeof state;
    } catch (err) {
      lost += 1;
      problems.push(`#${life.number}: no workflow answers (${String(err).slice(0, 120)})`);
      continue;
    }
    if (!row) {
      lost += 1;
      problems.push(`#${life.number}: workflow ${state.status} v${state.version} has no read row`);
      continue;
    }
    if (row.get('status') !== state.status || row.get('seq') !== state.version || state.projectedVersion !== state.version) {
      problems.push(`#${life.number}: workflow ${state.status} v${state.version} (projected ${state.projectedVersion}) but read row ${String(row.get('status'))} seq ${String(row.get('seq'))}`);
    }
    const events = await world.models.TicketEvent.findAll({ where: { ticket_number: life.number }, order: [['seq', 'ASC']] });
    const seqs = events.map((e) => e.get('seq') as number);
    const missing = Array.from({ length: state.version }, (_, i) => i + 1).filter((s) => !seqs.includes(s));
    if (missing.length > 0) {
      lost += missing.length;
      problems.push(`#${life.number}: events ${missing.join(',')} never projected`);
    }
    if (life.done) {
      if (state.status !== 'resolved') problems.push(`#${life.number}: lifecycle finished but the ticket is ${state.status}`);
      for (const type of EXPECTED_ACTIONS[life.kind]) {
        const count = events.filter((e) => e.get('type') === type).length;
        if (count !== 1) {
          if (count > 1) duplicated += count - 1;
          else lost += 1;
          problems.push(`#${life.number}: ${count} '${type}' events`);
        }
      }
      const replies = await world.models.TicketMessage.count({ where: { ticket_number: life.number, body: { [Op.like]: `%: ${life.title}` } } });
      if (replies !== 1) {
        if (replies > 1) duplicated += replies - 1;
        else lost += 1;
        problems.push(`#${life.number}: ${replies} copies of the public reply`);
      }
    }
  }

  // Email: every outbox row of these tickets sent, each exactly once to its recipient.
  const outbox = numbers.length ? await world.models.EmailOutbox.findAll({ where: { ticket_number: { [Op.in]: numbers } } }) : [];
  const sent = world.sink.messages();
  const copies = new Map<string, number>();
  for (const m of sent) for (const to of m.recipients) copies.set(`${m.metadata.notification}|${to.toLowerCase()}`, (copies.get(`${m.metadata.notification}|${to.toLowerCase()}`) ?? 0) + 1);
  for (const row of outbox) {
    const n = copies.get(`${String(row.get('notification_id'))}|${String(row.get('to_address')).toLowerCase()}`) ?? 0;
    if (row.get('status') !== 'sent' || n !== 1) {
      if (n > 1) duplicated += n - 1;
      else if (n === 0) lost += 1;
      problems.push(`#${String(row.get('ticket_number'))}: email ${String(row.get('kind'))} to ${String(row.get('to_address'))} is ${String(row.get('status'))} with ${n} copies delivered`);
    }
  }
  // Pages: every recorded page of these tickets reached the on-call service.
  const pages = numbers.length ? await world.models.OncallPage.findAll({ where: { ticket_number: { [Op.in]: numbers } } }) : [];
  for (const page of pages) {
    const accepted = world.webhook.accepted().get(String(page.get('id'))) ?? 0;
    if (accepted === 0) {
      lost += 1;
      problems.push(`#${String(page.get('ticket_number'))}: page ${String(page.get('id'))} never accepted by the on-call webhook`);
    }
  }
  if (options.pagesExpected && pages.length === 0) problems.push('no on-call page was recorded, so the webhook path was not exercised');
  return { consistent: problems.length === 0, problems, lost, duplicated, emails: outbox.length, pages: pages.length };
}

/** Re-checks until consistent or the deadline; the time it took is how long the system needed to converge. */
export async function converge(world: World, lives: Lifecycle[], from: number, options: { pagesExpected: boolean; convergeSeconds: number }): Promise<Check & { convergedSeconds: number | null }> {
  const deadline = Date.now() + options.convergeSeconds * 1000;
  for (;;) {
    let result: Check;
    try {
      result = await check(world, lives, options);
    } catch (err) {
      result = { consistent: false, problems: [`the check itself failed: ${String(err)}`], lost: 0, duplicated: 0, emails: 0, pages: 0 };
    }
    if (result.consistent) return { ...result, convergedSeconds: (Date.now() - from) / 1000 };
    if (Date.now() > deadline) return { ...result, convergedSeconds: null };
    await pause(2_000);
  }
}

