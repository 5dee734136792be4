// Shared by the browser tests: Debian's chromium driven by playwright-core
// against the real stack (TODO_APP_URL), users signed in through the
// stack's dev sign-in, REST calls for setup and checks, axe-core scans and
// screenshots (web/browser-out/, git-ignored).

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';

export const APP = process.env.TODO_APP_URL ?? 'http://127.0.0.1:8080';
const OUT = new URL('../browser-out/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Playwright gives every launch a fresh temporary profile (--user-data-dir).
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const newUser = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A token for `user` from the stack's dev sign-in. */
export async function tokenFor(user) {
  const r = await fetch(`${APP}/app/dev-sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user }) });
  if (!r.ok) throw new Error(`dev sign-in: ${r.status} ${await r.text()}`);
  return (await r.json()).token;
}

/** REST as `user`: `/api/{user}{path}`; returns {status, body}. */
export async function rest(user, method, path, body) {
  const token = await tokenFor(user);
  const r = await fetch(`${APP}/api/${user}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

export async function tasksOf(user) {
  const { status, body } = await rest(user, 'GET', '/tasks?limit=500');
  if (status !== 200) throw new Error(`list: ${status}`);
  return body.items;
}

/** A new context (its own tab storage) signed in as `user` through the sign-in page. */
export async function signedIn(browser, user, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${APP}/`);
  await page.getByLabel('User name').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
  return { context, page };
}

export async function shot(page, name) {
  await page.screenshot({ path: `${OUT}${name}.png` });
}

/** axe-core WCAG 2.x A/AA violations of the page as it is now. */
export async function axe(page) {
  // evaluate() runs outside the page's CSP, which forbids injected scripts.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Waits until `check()` is truthy (polling), failing with `what` after `ms`. */
export async function until(what, check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A token signed like the identity provider would, with the stack's secret (STACK_DIR/secrets.json). */
export async function idpToken(user, ttlSeconds) {
  const { createHmac } = await import('node:crypto');
  const dir = process.env.STACK_DIR ?? new URL('../../.stack', import.meta.url).pathname;
  const secret = JSON.parse(readFileSync(`${dir}/secrets.json`, 'utf8'))['jwt-secret'];
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user, iat: now, exp: now + ttlSeconds })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
