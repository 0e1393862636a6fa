// Shared helpers of the end-to-end specs: the browser (Debian's Chromium), the service under
// test (HINDSIGHT_E2E_BASE, started by run.sh), API shortcuts for setting up data.
import { chromium } from 'playwright-core';

export const BASE = process.env.HINDSIGHT_E2E_BASE || 'http://127.0.0.1:18300';
export const SLUG = 'xi-lee-summit-2026';
export const MODERATOR = { login: 'demo_moderator', password: 'demo-moderator-lantern-42' };
export const PASSWORD = 'harbour-lantern-quietly-9';

let browser;

/** The shared browser, launched once per spec file. */
export async function launch() {
  browser = browser || await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  return browser;
}

export async function close() {
  if (browser) await browser.close();
  browser = null;
}

/** A fresh context (its own session) with the widget page open; fails on page errors. */
export async function openWidget(options = {}) {
  const b = await launch();
  const context = await b.newContext({ viewport: { width: 900, height: 900 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text());
  });
  await page.goto(`${BASE}/embed/${SLUG}`);
  await rendered(page);
  return { context, page };
}

/** Waits until the widget marked its first render. */
export async function rendered(page) {
  await page.locator('html[data-rendered=true]').waitFor({ timeout: 20000 });
}

let counter = 0;
/** A unique username for this run. */
export const uniqueName = (prefix) => `${prefix}_${Date.now().toString(36)}${++counter}`;

/** Calls the API directly (setup only). */
export async function apiCall(method, path, body, token) {
  const response = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Registers a user through the API; returns { username, token }. */
export async function registerViaApi(prefix) {
  const username = uniqueName(prefix);
  const auth = await apiCall('POST', '/auth/register', { username, email: `${username}@example.com`, password: PASSWORD });
  return { username, token: auth.access_token };
}

/** Signs in through the widget's form. */
export async function signIn(page, login, password = PASSWORD) {
  await page.getByRole('button', { name: 'Sign in' }).first().click();
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.locator('.hs-auth-form').getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/^Signed in as /).waitFor();
}

/** The <li> of a comment whose body contains `text`. */
export const commentWith = (page, text) => page.locator('.hs-item', { has: page.locator(':scope > .hs-comment .hs-body', { hasText: text }) });
