// The demo page: the article and the widget in its iframe, which grows to its content through
// postMessage; no request breaks the page's policy. Screenshots (desktop and 375 px, light
// and dark) are written to target/e2e-screenshots/ for review.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launch, close, BASE } from '../lib.js';

after(close);
const OUT = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));
mkdirSync(OUT, { recursive: true });

const SIZES = { desktop: { width: 1280, height: 900 }, mobile: { width: 375, height: 812 } };

for (const [size, viewport] of Object.entries(SIZES)) {
  for (const colorScheme of ['light', 'dark']) {
    test(`demo page, ${size}, ${colorScheme}`, async () => {
      const browser = await launch();
      const context = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce' });
      const page = await context.newPage();
      const violations = [];
      page.on('console', (m) => { if (/Content Security Policy|Refused/.test(m.text())) violations.push(m.text()); });
      await page.goto(`${BASE}/demo/`);
      const frame = page.frameLocator('iframe');
      await frame.locator('html[data-rendered=true]').waitFor({ timeout: 20000 });
      await page.locator('#story-body p').first().waitFor();
      // The iframe grew to its content (no inner scrollbar).
      await page.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height > 1500);
      const inner = await frame.locator('html').evaluate((html) => html.scrollHeight);
      const outer = await page.locator('iframe').evaluate((f) => f.getBoundingClientRect().height);
      assert.ok(Math.abs(inner - outer) <= 2, `iframe ${outer}px for ${inner}px of content`);
      if (size === 'mobile') {
        const overflow = await frame.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
        assert.ok(overflow <= 0, `the widget overflows 375 px by ${overflow}px`);
      }
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${OUT}demo-${size}-${colorScheme}.png`, fullPage: true });
      assert.deepEqual(violations, []);
      await context.close();
    });
  }
}

test('an unknown article is said to have no discussion', async () => {
  const browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/embed/no-such-article`);
  await page.getByText('There is no discussion for this article.').waitFor();
  await context.close();
});

test('the widget is usable at 320 px', async () => {
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  await page.goto(`${BASE}/embed/xi-lee-summit-2026`);
  await page.locator('html[data-rendered=true]').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `overflows 320 px by ${overflow}px`);
  await page.screenshot({ path: `${OUT}widget-320-light.png`, fullPage: false });
  await context.close();
});
