// Several readers at once, each in their own browser context: a comment from one appears live
// in the other ("1 new comment"); a second reader forecasts on a prediction with the slider;
// a moderator resolves it; the forecaster then sees their score and their forecaster badge.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWidget, close, registerViaApi, signIn, MODERATOR, commentWith } from '../lib.js';

after(close);

test('live comments, a forecast, a resolution, the score and the badge', async () => {
  const author = await registerViaApi('author');
  const forecaster = await registerViaApi('forecaster');
  const a = await openWidget();
  const b = await openWidget();
  await signIn(a.page, author.username);
  await signIn(b.page, forecaster.username);
  // Let B's stream connect before A writes.
  await b.page.waitForTimeout(500);

  // A posts a prediction through the form.
  const claim = `Seoul and Beijing sign a memorandum on chips, e2e ${Date.now()}`;
  await a.page.getByLabel('Your comment (Markdown)').fill('My forecast on the chip talks');
  await a.page.getByRole('checkbox', { name: 'Add a prediction' }).check();
  await a.page.getByLabel('Claim (a checkable statement)').fill(claim);
  await a.page.getByLabel(/Your probability/).fill('30');
  await a.page.getByRole('button', { name: 'Post comment' }).click();
  await commentWith(a.page, 'My forecast on the chip talks').waitFor();

  // B sees it arrive live, behind the button.
  const live = b.page.getByRole('button', { name: 'Show 1 new comment' });
  await live.waitFor({ timeout: 15000 });
  await live.click();
  const item = commentWith(b.page, 'My forecast on the chip talks');
  await item.waitFor();
  await item.locator('.hs-community', { hasText: 'Community: 30% (1 forecaster)' }).waitFor();

  // B forecasts 80% with the slider.
  const slider = item.getByLabel(/Your forecast/);
  await slider.fill('80');
  await item.getByRole('button', { name: 'Save forecast' }).click();
  await item.getByText('Forecast saved').waitFor();
  await item.locator('.hs-community', { hasText: '2 forecasters' }).waitFor();
  // A sees the new median live.
  await commentWith(a.page, 'My forecast on the chip talks').locator('.hs-community', { hasText: '2 forecasters' }).waitFor({ timeout: 15000 });

  // A moderator resolves it: yes.
  const m = await openWidget();
  await signIn(m.page, MODERATOR.login, MODERATOR.password);
  const modItem = commentWith(m.page, 'My forecast on the chip talks');
  await modItem.locator('summary', { hasText: 'Resolve' }).click();
  await modItem.getByLabel('Outcome').selectOption('yes');
  await modItem.getByLabel(/^Note/).fill('Signed on the record (e2e).');
  await modItem.getByRole('button', { name: 'Record resolution' }).click();
  await commentWith(m.page, 'My forecast on the chip talks').locator('.hs-outcome', { hasText: 'Outcome: Yes' }).waitFor();

  // B: the resolution arrives live, with B's own Brier score (0.2² = 0.040).
  const resolved = commentWith(b.page, 'My forecast on the chip talks');
  await resolved.locator('.hs-my-score', { hasText: 'Your Brier score: 0.040' }).waitFor({ timeout: 15000 });
  // B's user card shows the forecaster badge and the calibration chart.
  await b.page.reload();
  await b.page.locator('html[data-rendered=true]').waitFor();
  const again = commentWith(b.page, 'My forecast on the chip talks');
  await again.locator('.hs-my-score').waitFor();
  // Each forecaster's score, B's among them (forecast 80 %, Brier 0.040).
  await again.locator('.hs-forecaster-scores summary').click();
  await again.locator('.hs-forecaster-scores li', { hasText: /forecast 80% · Brier 0\.040/ }).waitFor();
  // B comments so that B's own card can be opened from the thread.
  await b.page.getByLabel('Your comment (Markdown)').fill('Called it.');
  await b.page.getByRole('button', { name: 'Post comment' }).click();
  const mine = commentWith(b.page, 'Called it.');
  await mine.locator('.hs-author').first().click();
  await mine.locator('.hs-forecaster', { hasText: 'Forecaster · 1 scored · Brier 0.040' }).waitFor();
  await mine.locator('img.hs-calibration').waitFor();
  assert.ok(await mine.locator('img.hs-calibration').evaluate((img) => img.complete && img.naturalWidth > 0));
  // A is notified: the bell counts it.
  await a.page.locator('.hs-unread', { hasText: /\d/ }).waitFor({ timeout: 15000 });

  for (const s of [a, b, m]) {
    assert.deepEqual(s.page.errors, []);
    await s.context.close();
  }
});
