import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { demoSubject } from '../../lib/db/demo-org';
import type { DemoUserKey } from '../support/demo-accounts';
import { obtainAccessToken } from '../support/oidc-login';
import type { Stack } from '../support/stack';

/**
 * What the lead/admin browser tests share: Debian's Chromium, the real sign-in through
 * the stack's issuer, the API as any demo person (to arrange data quickly), screenshots.
 */

export const ARTIFACTS = path.resolve(__dirname, '..', '..', '.test-artifacts');
export const SCREENSHOTS = path.join(ARTIFACTS, 'screens');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];

export const launch = (): Promise<Browser> => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

export interface Session {
  context: BrowserContext;
  page: Page;
}

/** A fresh browser context signed in through the portal's login button and the issuer's account picker. */
export async function signIn(browser: Browser, stack: Stack, who: string, options: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, colorScheme: options.colorScheme ?? 'light', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(stack.webUrl);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === new URL(stack.issuerUrl).origin);
  await page.getByRole('button', { name: who }).click();
  await page.waitForURL((url) => url.origin === new URL(stack.webUrl).origin && url.pathname === '/tickets', { timeout: 60_000 });
  await hydrated(page);
  return { context, page };
}

/** The portal page is interactive: typing before hydration is lost when the page hydrates (a flaky search once). */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
}

export function mainNavLink(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/** Full-page screenshot into .test-artifacts/screens (and, for the chosen ones, docs/screenshots). */
export async function screenshot(page: Page, name: string, toDocs = false): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (toDocs) fs.copyFileSync(file, path.resolve(__dirname, '..', '..', 'docs', 'screenshots', `${name}.png`));
}

/** The API as a demo person, with a token from the stack's own issuer. */
export function apiClient(stack: Stack) {
  const tokens = new Map<string, Promise<string>>();
  const token = (who: DemoUserKey) => {
    if (!tokens.has(who)) {
      tokens.set(
        who,
        obtainAccessToken({
          issuerUrl: stack.issuerUrl,
          clientId: 'ticketing-portal',
          redirectUri: `${stack.webUrl}/auth/callback`,
          audience: 'https://api.ticketing.local',
          sub: demoSubject(who),
        }).then((t) => t.accessToken),
      );
    }
    return tokens.get(who)!;
  };
  async function call<T = any>(method: string, apiPath: string, who: DemoUserKey, body?: unknown): Promise<{ status: number; body: { success: boolean; data: T; error?: unknown } }> {
    const response = await fetch(`${stack.apiUrl}${apiPath}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(who)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' && apiPath === '/tickets' ? { 'Idempotency-Key': crypto.randomUUID() } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { success: boolean; data: T; error?: unknown } };
  }
  return { call, token };
}

/** Polls until `check` answers a value; a deadline FAILS naming what was awaited. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
