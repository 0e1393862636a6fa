// Hostile comment bodies execute nothing: the server sanitises, the widget inserts only that
// HTML; a page flag set by any payload stays unset after rendering, previewing and clicking.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWidget, close, registerViaApi, apiCall, signIn, SLUG } from '../lib.js';

after(close);

const PAYLOADS = [
  '<img src=x onerror="window.__pwned=1"> image payload',
  '[click me](javascript:window.__pwned=1) link payload',
  '<a href="javascript:window.__pwned=1">raw link payload</a>',
  '<script>window.__pwned=1</script> script payload',
  '<svg onload="window.__pwned=1"></svg><iframe src="javascript:window.__pwned=1"></iframe> svg payload',
  '<p style="x" onclick="window.__pwned=1">click payload</p>',
  '[data link](data:text/html,<script>window.__pwned=1</script>) data payload',
];

test('script in comments never runs', async () => {
  const attacker = await registerViaApi('mallory');
  for (const body of PAYLOADS) await apiCall('POST', `/articles/${SLUG}/comments`, { body }, attacker.token);
  const { context, page } = await openWidget();
  await page.getByLabel('Sort by').selectOption('new');
  await page.locator('.hs-body', { hasText: 'data payload' }).waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // Nothing executable reached the DOM.
  const bad = await page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('.hs-body *')) {
      for (const attr of el.attributes) {
        if (/^on/i.test(attr.name) || /^\s*(javascript|data):/i.test(attr.value)) found.push(`${el.tagName} ${attr.name}`);
      }
      if (['SCRIPT', 'IFRAME', 'SVG', 'IMG', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())) found.push(el.tagName);
    }
    return found;
  });
  assert.deepEqual(bad, []);
  // Clicking every link and paragraph of the payloads runs nothing either.
  for (const link of await page.locator('.hs-body a, .hs-body p').all()) {
    await link.click({ modifiers: [], noWaitAfter: true, timeout: 2000 }).catch(() => {});
  }
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  for (const p of context.pages()) assert.equal(await p.evaluate(() => window.__pwned).catch(() => undefined), undefined);

  // The preview of a payload is sanitised too.
  const reader = await registerViaApi('previewer');
  await signIn(page, reader.username);
  await page.getByLabel('Your comment (Markdown)').fill(PAYLOADS[0] + '\n\n' + PAYLOADS[1]);
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('.hs-preview', { hasText: 'link payload' }).waitFor();
  await page.locator('.hs-preview a').first().click({ timeout: 2000 }).catch(() => {});
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await context.close();
});
