// First render of the widget in Chromium: navigation start to the widget's
// `hindsight:rendered` mark (article, session check, first thread page, DOM built), over
// RUNS fresh browser contexts (cold cache each); prints the median, min and max in ms.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [base, slug, runs = '15', query = ''] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const times = [];
let comments = 0;
for (let i = 0; i < Number(runs) + 1; i += 1) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/embed/${slug}${query}`);
  await page.locator('html[data-rendered=true]').waitFor({ timeout: 30000 });
  const ms = await page.evaluate(() => performance.getEntriesByName('hindsight:rendered')[0].startTime);
  comments = await page.locator('.hs-item').count();
  if (i > 0) times.push(ms); // the first run warms the server's statement caches
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`page=${query || 'default'} runs=${times.length} comments_rendered=${comments} median_ms=${median.toFixed(1)} min_ms=${times[0].toFixed(1)} max_ms=${times[times.length - 1].toFixed(1)}`);
