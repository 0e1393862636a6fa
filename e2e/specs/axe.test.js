// axe-core finds no serious or critical violation in the widget (signed out, signed in with a
// form open, light and dark) nor on the demo page.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { openWidget, close, registerViaApi, signIn, BASE, launch, MODERATOR } from '../lib.js';

after(close);
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe in `page` (the widget's CSP allows no injected script: the context bypasses it). */
async function serious(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  assert.ok(result.passes.length > 10, 'axe ran its rules');
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

for (const colorScheme of ['light', 'dark']) {
  test(`the widget has no serious accessibility violation (${colorScheme})`, async () => {
    const { context, page } = await openWidget({ bypassCSP: true, colorScheme });
    assert.deepEqual(await serious(page), []);
    const reader = await registerViaApi('axe');
    await signIn(page, reader.username);
    await page.getByRole('checkbox', { name: 'Add a prediction' }).check();
    await page.locator('.hs-list .hs-item').first().locator('.hs-author').first().click();
    await page.locator('.hs-card-facts').waitFor();
    assert.deepEqual(await serious(page), []);
    await context.close();
  });
}

test('the moderator tools, the notifications and the reports page have no serious violation', async () => {
  const { context, page } = await openWidget({ bypassCSP: true });
  await signIn(page, MODERATOR.login, MODERATOR.password);
  await page.getByRole('button', { name: /^Notifications/ }).click();
  await page.getByRole('button', { name: 'Mark all read' }).waitFor();
  await page.locator('.hs-prediction summary', { hasText: 'Resolve' }).first().click();
  assert.deepEqual(await serious(page), []);
  await page.getByRole('button', { name: 'Reports' }).click();
  await page.getByRole('heading', { name: 'Open reports' }).waitFor();
  assert.deepEqual(await serious(page), []);
  await context.close();
});

test('the demo page has no serious accessibility violation', async () => {
  const browser = await launch();
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${BASE}/demo/`);
  await page.frameLocator('iframe').locator('html[data-rendered=true]').waitFor({ timeout: 20000 });
  await page.locator('#story-body p').first().waitFor();
  assert.deepEqual(await serious(page), []);
  await context.close();
});
