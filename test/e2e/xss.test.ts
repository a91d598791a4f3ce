import crypto from 'node:crypto';
import type { Page } from 'playwright-core';
import { browserTest, openPortal, shot, type Portal } from './kit';

/**
 * Script in every free-text field a person can set, rendered by the real portal in Chromium:
 * a ticket's title, description and custom fields, a reply, an attachment's name. Each payload
 * would record its field in `window.__xss` (or open a dialog) if it ran; none may, and each must
 * show as the text that was typed.
 */
let portal: Portal;
const pages: Page[] = [];

beforeAll(async () => {
  portal = await openPortal();
}, 240_000);

afterAll(async () => {
  await portal?.close();
});

/** The classic shapes: an element with an event handler, a script element, an attribute break-out, an SVG onload. */
const payloads = (field: string) => [
  `<img src=x onerror="window.__xss=(window.__xss||[]).concat('${field}-img')">`,
  `<script>window.__xss=(window.__xss||[]).concat('${field}-script')</script>`,
  `"><svg onload="window.__xss=(window.__xss||[]).concat('${field}-svg')">`,
];
const field = (name: string) => payloads(name).join(' ');

async function renderedInert(page: Page, where: string): Promise<void> {
  // Give handlers a moment to fire if anything was injected (onerror runs once the image fails).
  await page.waitForLoadState('networkidle');
  expect({ where, ran: (await page.evaluate('window.__xss ?? null')) as string[] | null }).toEqual({ where, ran: null });
  // No element built from a payload: an injected <img src=x> or <svg onload> would be in the DOM even if blocked by CSP.
  // (A <script> payload is not looked for in the DOM: SvelteKit's own inline data script carries the text, escaped.)
  expect({ where, injected: await page.locator('img[src="x"], svg[onload]').count() }).toEqual({ where, injected: 0 });
}

browserTest(
  'when a ticket carries script in its title, description, custom fields, a reply and an attachment name, then the portal shows it as text and runs none of it, for the requester and the agent',
  () => pages,
  async () => {
    // Arrange, through the API: everything a person can type, with payloads in it.
    const tag = crypto.randomUUID().slice(0, 6);
    const catalog = await portal.api('emma', 'GET', '/catalog');
    const access = catalog.body.data.categories.find((c: { code: string }) => c.code === 'it-access');
    const title = `Access ${tag} ${payloads('title')[0]}`.slice(0, 200);
    const created = await portal.api('emma', 'POST', '/tickets', { title, description: field('description'), categoryId: access.id, customFields: { system: field('system').slice(0, 200), justification: field('justification').slice(0, 500) } }, { 'Idempotency-Key': crypto.randomUUID() });
    expect(created.status).toBe(201);
    const number = created.body.data.number as number;
    const reply = await portal.api('emma', 'POST', `/tickets/${number}/messages`, { body: field('reply'), visibility: 'public' }, { 'Idempotency-Key': crypto.randomUUID() });
    expect(reply.status).toBe(201);
    const form = new FormData();
    form.append('visibility', 'public');
    form.append('file', new Blob([Buffer.from('%PDF-1.7\n%%EOF\n')], { type: 'application/pdf' }), `<img src=x onerror="window.__xss=(window.__xss||[]).concat('filename')">.pdf`);
    const uploaded = await portal.api('emma', 'POST', `/tickets/${number}/attachments`, form);
    expect(uploaded.status).toBe(201);
    // The API already takes the markup characters out of file names; the rest must still show as typed.
    const storedName = uploaded.body.data[0].filename as string;
    expect(storedName).toMatch(/^_img src=x onerror=.*concat\('filename'\).*\.pdf$/);
    expect(storedName).not.toMatch(/[<>"]/);

    for (const who of ['Emma', 'Alex'] as const) {
      const page = await portal.signIn(who);
      pages.push(page);
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });

      // The list shows the title.
      await page.goto(`${portal.stack.webUrl}/tickets`);
      await renderedInert(page, `${who}: ticket list`);

      // The ticket page shows every field, the conversation and the files.
      await page.goto(`${portal.stack.webUrl}/tickets/${number}`);
      await page.getByRole('heading', { name: new RegExp(`Access ${tag}`) }).waitFor();
      await renderedInert(page, `${who}: ticket page`);
      const text = await page.locator('body').innerText();
      await shot(page, `xss-ticket-${who.toLowerCase()}`);
      for (const shown of [payloads('title')[0]!, payloads('description')[1]!, payloads('system')[0]!, payloads('reply')[2]!, storedName]) {
        expect({ who, shownAsText: text.includes(shown) ? shown : `missing: ${shown}` }).toEqual({ who, shownAsText: shown });
      }
      expect(dialogs).toEqual([]);
    }
  },
);
