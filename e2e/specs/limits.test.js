// Against the second instance run.sh starts (rate limits on, 20-second access tokens): a
// rate-limit problem appears in the form that caused it, and the widget refreshes the access
// token before it expires, so a reader who stays keeps acting without signing in again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, close, signIn, SLUG, PASSWORD, uniqueName } from '../lib.js';

const STRICT = process.env.HINDSIGHT_E2E_STRICT_BASE || 'http://127.0.0.1:18310';
after(close);

async function open() {
  const browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${STRICT}/embed/${SLUG}`);
  await page.locator('html[data-rendered=true]').waitFor({ timeout: 20000 });
  return { context, page };
}

async function register(prefix) {
  const username = uniqueName(prefix);
  const response = await fetch(`${STRICT}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.com`, password: PASSWORD }),
  });
  assert.equal(response.status, 201);
  return username;
}

test('a rate-limit problem is shown in the form that hit it', async () => {
  const username = await register('hasty');
  const { context, page } = await open();
  await signIn(page, username);
  const composer = page.getByLabel('Your comment (Markdown)');
  await composer.fill('First comment within the limit');
  await page.getByRole('button', { name: 'Post comment' }).click();
  await page.locator('.hs-body', { hasText: 'First comment within the limit' }).waitFor();
  await page.getByLabel('Your comment (Markdown)').fill('Second comment, too soon');
  await page.getByRole('button', { name: 'Post comment' }).click();
  const error = page.locator('.hs-composer .hs-form-error');
  await error.waitFor();
  assert.match(await error.textContent(), /^Too fast: try again in \d+ s\.$/);
  assert.equal(await page.getByLabel('Your comment (Markdown)').inputValue(), 'Second comment, too soon', 'the text is kept');
  await context.close();
});

test('the access token is refreshed before it expires', async () => {
  const username = await register('stayer');
  const { context, page } = await open();
  const refreshed = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/refresh'), { timeout: 20000 });
  const start = Date.now();
  await signIn(page, username);
  await refreshed;
  // Past the first token's 20 s: voting still works without signing in again.
  await page.waitForTimeout(Math.max(0, 21000 - (Date.now() - start)));
  const tokens = [];
  page.on('request', (r) => { if (r.url().includes('/vote')) tokens.push(r.headers().authorization); });
  const target = page.locator('.hs-list > .hs-item').first();
  await target.locator(':scope > .hs-comment').getByRole('button', { name: /^Upvote/ }).click();
  await page.waitForFunction(() => document.querySelector('.hs-list > .hs-item .hs-vote-up').getAttribute('aria-pressed') === 'true');
  await page.waitForTimeout(500);
  assert.equal(await target.locator(':scope > .hs-comment .hs-inline-error').textContent(), '');
  assert.equal(await target.locator(':scope > .hs-comment .hs-vote-up').getAttribute('aria-pressed'), 'true');
  assert.ok(tokens.length >= 1);
  assert.equal(await page.getByText(`Signed in as ${username}`).count(), 1);
  await context.close();
});
