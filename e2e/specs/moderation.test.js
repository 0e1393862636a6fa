// Moderation in the widget: a reader reports a comment with a reason; a moderator resolves it
// on the reports page (removal), restores it, pins, locks the thread (a reader sees the lock
// live) and unlocks it, and bans the author from the user card.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWidget, close, registerViaApi, apiCall, signIn, MODERATOR, SLUG, commentWith } from '../lib.js';

after(close);

test('report, resolve, restore, pin, lock and ban', async () => {
  const troll = await registerViaApi('troll');
  const text = `Offensive remark for the moderators ${Date.now()}`;
  await apiCall('POST', `/articles/${SLUG}/comments`, { body: text }, troll.token);
  const reporter = await registerViaApi('reporter');

  const r = await openWidget();
  await signIn(r.page, reporter.username);
  await r.page.getByLabel('Sort by').selectOption('new');
  const reported = commentWith(r.page, text);
  await reported.locator(':scope > .hs-comment').getByRole('button', { name: 'Report' }).click();
  await r.page.getByLabel('Why are you reporting this comment?').fill('Insults another reader');
  await r.page.getByRole('button', { name: 'Send report' }).click();
  await r.page.getByText('Thank you: the moderators will look at it.').waitFor();

  const m = await openWidget();
  await signIn(m.page, MODERATOR.login, MODERATOR.password);
  await m.page.getByRole('button', { name: 'Reports' }).click();
  const group = m.page.locator('.hs-report', { hasText: text });
  await group.getByText(`${reporter.username}: Insults another reader`).waitFor();
  await group.getByLabel('Resolve').selectOption('remove');
  await group.getByLabel('Reason (public in the log)').fill('Personal attack');
  await group.getByRole('button', { name: 'Record resolution' }).click();
  await m.page.locator('.hs-report', { hasText: 'Done' }).waitFor();
  await m.page.getByRole('button', { name: '← Back to the whole thread' }).click();
  await m.page.getByLabel('Sort by').selectOption('new');
  const removed = m.page.locator('.hs-item', { has: m.page.locator('.hs-removed', { hasText: 'Removed: Personal attack' }) }).first();
  await removed.waitFor();
  await removed.locator(':scope > .hs-comment').getByRole('button', { name: 'Restore' }).click();
  const restored = commentWith(m.page, text);
  await restored.locator(':scope > .hs-comment .hs-removed').waitFor({ state: 'detached' });
  assert.equal(await restored.locator(':scope > .hs-comment').getByRole('button', { name: 'Remove' }).count(), 1);

  // Pin it.
  await restored.locator(':scope > .hs-comment').getByRole('button', { name: 'Pin' }).click();
  await commentWith(m.page, text).locator('.hs-pinned').waitFor();

  // Lock: the reader sees it live and loses the composer; then unlock.
  await m.page.getByRole('button', { name: 'Lock thread' }).click();
  await m.page.getByLabel('Reason for locking').fill('Cooling off');
  await m.page.locator('.hs-lock-control form').getByRole('button', { name: 'Lock thread' }).click();
  await m.page.getByText('This thread is locked: Cooling off').waitFor();
  await r.page.getByText('This thread is locked: Cooling off').waitFor({ timeout: 15000 });
  assert.equal(await r.page.getByLabel('Your comment (Markdown)').count(), 0);
  await m.page.getByRole('button', { name: 'Unlock thread' }).click();
  await r.page.getByLabel('Your comment (Markdown)').waitFor({ timeout: 15000 });

  // Ban the author from their card.
  const item = commentWith(m.page, text);
  await item.locator(':scope > .hs-comment .hs-author').click();
  await item.locator('.hs-karma').waitFor();
  await item.locator('summary', { hasText: 'Ban' }).click();
  await item.getByLabel('Reason for the ban (shown to the user)').fill('Repeated attacks');
  await item.getByRole('button', { name: 'Ban user' }).click();
  await item.locator('.hs-ban .hs-status', { hasText: 'Banned' }).waitFor();
  const profile = await apiCall('GET', `/users/${troll.username}`);
  assert.equal(profile.username, troll.username);
  await assert.rejects(apiCall('POST', `/articles/${SLUG}/comments`, { body: 'still here?' }, troll.token), /403/);

  for (const s of [r, m]) {
    assert.deepEqual(s.page.errors, []);
    await s.context.close();
  }
});
