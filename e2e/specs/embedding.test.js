// A host page on another origin embeds the widget with the two documented lines: listed in
// HINDSIGHT_EMBED_ORIGINS (run.sh lists the first port below) it gets the widget, grown to its
// content by postMessage; unlisted, the browser refuses to frame it (CSP frame-ancestors).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launch, close, BASE, SLUG } from '../lib.js';

const LISTED = Number(process.env.HINDSIGHT_E2E_HOST_PORT || 18301);
const servers = [];

function hostPage(port) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>Host ${port}</title><h1>A news site</h1>
<div id="hindsight-thread" data-article="${SLUG}"></div>
<script src="${BASE}/embed.js" async></script>`);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

before(async () => {
  await hostPage(LISTED);
  await hostPage(LISTED + 1);
});
after(async () => {
  for (const s of servers) s.close();
  await close();
});

test('a listed host page gets the widget, sized to its content', async () => {
  const browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${LISTED}/`);
  const frame = page.frameLocator('iframe');
  await frame.locator('html[data-rendered=true]').waitFor({ timeout: 20000 });
  await page.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height > 1000);
  const inner = await frame.locator('html').evaluate((html) => html.scrollHeight);
  const outer = await page.locator('iframe').evaluate((f) => f.getBoundingClientRect().height);
  assert.ok(Math.abs(inner - outer) <= 2, `iframe ${outer}px for ${inner}px`);
  // The host page cannot read into the widget (another origin).
  const reach = await page.evaluate(() => {
    try {
      return document.querySelector('iframe').contentWindow.document.body.innerHTML.length;
    } catch {
      return 'blocked';
    }
  });
  assert.equal(reach, 'blocked');
  await context.close();
});

test('an unlisted host page cannot frame the widget', async () => {
  const browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${LISTED + 1}/`);
  await page.locator('iframe').waitFor();
  await page.waitForTimeout(1500);
  const widget = await page.frameLocator('iframe').locator('html[data-rendered=true]').count();
  assert.equal(widget, 0, 'the widget must not render in an unlisted page');
  const height = await page.locator('iframe').evaluate((f) => f.getBoundingClientRect().height);
  assert.ok(height <= 320, `not resized (${height}px)`);
  await context.close();
});
