import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { demoSubject } from '../../lib/db/demo-org';
import type { DemoUserKey } from '../support/demo-accounts';
import { obtainAccessToken } from '../support/oidc-login';
import { startStack, type Stack } from '../support/stack';

/**
 * What every browser test needs: the whole stack as `npm start` runs it, Debian's
 * Chromium, sign-in through the real issuer's page, screenshots and an axe scan.
 */

export const ARTIFACTS = path.resolve(__dirname, '..', '..', '.test-artifacts');
export const SCREENS = path.join(ARTIFACTS, 'screens');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];

export interface Portal {
  stack: Stack;
  browser: Browser;
  /** A fresh browser profile signed in as `who` (the button on the issuer's page), at the given width. */
  signIn(who: string, width?: number): Promise<Page>;
  /** The API as a demo person, with a token from the same issuer, for arranging what a test is not about. */
  api<T = any>(who: DemoUserKey, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function openPortal(): Promise<Portal> {
  const stack = await startStack();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const contexts: BrowserContext[] = [];
  const tokens = new Map<DemoUserKey, Promise<string>>();
  const tokenOf = (who: DemoUserKey) => {
    if (!tokens.has(who)) {
      tokens.set(
        who,
        obtainAccessToken({ issuerUrl: stack.issuerUrl, clientId: 'ticketing-portal', redirectUri: `${stack.webUrl}/auth/callback`, audience: 'https://api.ticketing.local', sub: demoSubject(who) }).then((t) => t.accessToken),
      );
    }
    return tokens.get(who)!;
  };
  return {
    stack,
    browser,
    async api(who, method, path, body, headers = {}) {
      const isForm = body instanceof FormData;
      // A write the engine did not confirm in time (the worker still bundling on a loaded machine)
      // is sent again with the same Idempotency-Key, as the API's 503 advises.
      for (let attempt = 1; ; attempt += 1) {
        const response = await fetch(`${stack.apiUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${await tokenOf(who)}`, ...(body === undefined || isForm ? {} : { 'content-type': 'application/json' }), ...headers },
          body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
        });
        const answer = (await response.json()) as { error?: { code?: string } };
        if (response.status === 503 && answer.error?.code === 'NOT_CONFIRMED' && headers['Idempotency-Key'] && attempt < 6) continue;
        return { status: response.status, body: answer as never };
      }
    },
    async signIn(who: string, width = 1280) {
      const context = await browser.newContext({ viewport: { width, height: width < 600 ? 740 : 900 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      await page.goto(stack.webUrl);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.origin === new URL(stack.issuerUrl).origin);
      await page.getByRole('button', { name: who }).click();
      await page.waitForURL((url) => url.origin === new URL(stack.webUrl).origin && url.pathname === '/tickets', { timeout: 60_000 });
      // Interactive before the test types: input into server-rendered markup is wiped by hydration.
      await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await stack.stop();
    },
  };
}

/** Saves a full-page screenshot under .test-artifacts/screens/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: true });
}

/** Runs axe-core in the page and answers the serious and critical violations, described. */
export async function axeProblems(page: Page): Promise<string[]> {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  // Evaluated as text: this file compiles without the DOM library, the page runs it with one.
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) })))`)) as Array<{
    id: string;
    impact: string;
    help: string;
    targets: string[];
  }>;
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`);
}

/** A test that leaves a screenshot of every open page in .test-artifacts/ when it fails. */
export function browserTest(name: string, pages: () => Page[], body: () => Promise<void>, timeout = 300_000): void {
  test(
    name,
    async () => {
      try {
        await body();
      } catch (err) {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        let i = 0;
        for (const page of pages()) {
          const file = path.join(ARTIFACTS, `failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${i++}.png`);
          await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        }
        throw err;
      }
    },
    timeout,
  );
}

export const ticketPath = /^\/tickets\/\d+$/;
export const numberOf = (page: Page) => Number(new URL(page.url()).pathname.split('/').pop());

/** Loads a portal page and waits until it is interactive: input into server-rendered markup is wiped by hydration. */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
}
