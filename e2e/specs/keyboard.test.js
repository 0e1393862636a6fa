// A keyboard-only reader signs in and posts a comment with Tab and Enter alone, and every
// focused control shows a visible focus ring.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWidget, close, registerViaApi, PASSWORD } from '../lib.js';

after(close);

/** Presses Tab until the focused element matches `predicate` (at most `max` times). */
async function tabTo(page, predicate, max = 40) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return;
  }
  throw new Error(`not reachable by Tab: ${predicate}`);
}

test('a keyboard-only reader posts a comment', async () => {
  const reader = await registerViaApi('keys');
  const { context, page } = await openWidget();
  await page.locator('body').focus();
  await tabTo(page, () => document.activeElement.textContent === 'Sign in');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.labels[0].textContent), 'Username or email');
  await page.keyboard.type(reader.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByText(`Signed in as ${reader.username}`).waitFor();
  await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === 'TEXTAREA');
  await page.keyboard.type('Typed without a mouse, posted with Enter on the button');
  await tabTo(page, () => document.activeElement.textContent === 'Post comment');
  await page.keyboard.press('Enter');
  await page.locator('.hs-body', { hasText: 'Typed without a mouse' }).waitFor();
  // Voting and collapsing are reachable too.
  await tabTo(page, () => /^Upvote/.test(document.activeElement.getAttribute('aria-label') || '') && !document.activeElement.disabled, 80);
  await tabTo(page, () => document.activeElement.classList.contains('hs-toggle'), 80);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-expanded')), 'false');
  assert.deepEqual(page.errors, []);
  await context.close();
});
