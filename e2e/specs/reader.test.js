// A reader registers in the widget, sees a validation problem next to the field it names,
// comments, replies, votes, edits, previews Markdown and deletes; sorting and collapsing work.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWidget, close, uniqueName, PASSWORD, commentWith, registerViaApi, apiCall, SLUG } from '../lib.js';

after(close);

test('a reader registers, comments, replies, votes, edits and deletes', async () => {
  const { context, page } = await openWidget();
  const username = uniqueName('reader');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'I need an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  const passwordInput = page.getByLabel('Password');
  await assert.doesNotReject(page.locator('.hs-field-error:not([hidden])').first().waitFor());
  assert.equal(await passwordInput.getAttribute('aria-invalid'), 'true', 'the problem names the password field');
  const describedBy = await passwordInput.getAttribute('aria-describedby');
  assert.match(await page.locator(`#${describedBy}`).textContent(), /\S/);
  await passwordInput.fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Signed in as ${username}`).waitFor();

  // Preview renders through the server.
  const composer = page.getByLabel('Your comment (Markdown)');
  await composer.fill('First **bold** thoughts from the e2e reader');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('.hs-preview strong', { hasText: 'bold' }).waitFor();
  await page.getByRole('button', { name: 'Write' }).click();
  await page.getByRole('button', { name: 'Post comment' }).click();
  const mine = commentWith(page, 'First bold thoughts');
  await mine.waitFor();

  // Reply to the new comment.
  await mine.locator(':scope > .hs-comment').getByRole('button', { name: 'Reply' }).click();
  await page.getByLabel(`Your reply to ${username} (Markdown)`).fill('A reply to myself, for the record');
  await page.getByRole('button', { name: 'Post reply' }).click();
  await mine.locator('.hs-replies .hs-body', { hasText: 'A reply to myself' }).waitFor();

  // Vote on someone else's comment: the score moves at once and stays.
  const other = commentWith(page, 'The investment figure is eye-catching');
  const score = other.locator(':scope > .hs-comment .hs-score');
  const before = parseInt(await score.textContent(), 10);
  await other.locator(':scope > .hs-comment').getByRole('button', { name: /^Upvote/ }).click();
  await page.waitForFunction(([sel, n]) => parseInt(document.querySelector(sel).textContent, 10) === n,
    [`#${await other.getAttribute('id')} > .hs-comment .hs-score`, before + 1]);
  assert.equal(await other.locator(':scope > .hs-comment .hs-vote-up').getAttribute('aria-pressed'), 'true');

  // Edit, then delete the reply.
  await mine.locator(':scope > .hs-comment').getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Edit your comment (Markdown)').fill('First thoughts, edited');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await commentWith(page, 'First thoughts, edited').locator('.hs-edited').first().waitFor();
  const reply = commentWith(page, 'A reply to myself');
  await reply.locator(':scope > .hs-comment').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await reply.waitFor({ state: 'detached' }).catch(() => {});
  assert.equal(await page.locator('.hs-body', { hasText: 'A reply to myself' }).count(), 0);

  // After a reload the vote is still there (my_vote from the server).
  await page.reload();
  await page.locator('html[data-rendered=true]').waitFor();
  // The session survived the reload (the refresh token gave a new access token).
  await page.getByText(`Signed in as ${username}`).waitFor();
  const again = commentWith(page, 'The investment figure is eye-catching');
  assert.equal(await again.locator(':scope > .hs-comment .hs-vote-up').getAttribute('aria-pressed'), 'true');
  // Signing out forgets it, here and on the server.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Your comment (Markdown)').count(), 0);
  await page.reload();
  await page.locator('html[data-rendered=true]').waitFor();
  assert.equal(await page.getByText(/^Signed in as/).count(), 0);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('sorts, collapse, more replies and continue this thread', async () => {
  const writer = await registerViaApi('deep');
  const post = (body, parent) => apiCall('POST', `/articles/${SLUG}/comments`, { body, parent_id: parent }, writer.token);
  const top = await post('Deep chain root for continue-this-thread');
  let parent = top.id;
  for (let i = 1; i <= 5; i += 1) parent = (await post(`Chain level ${i}`, parent)).id;
  for (let i = 1; i <= 7; i += 1) await post(`Sibling reply ${i}`, top.id);
  const { context, page } = await openWidget();
  await page.getByLabel('Sort by').selectOption('new');
  const root = commentWith(page, 'Deep chain root');
  await root.waitFor();
  await root.locator(':scope > .hs-more-replies', { hasText: /more repl/ }).click();
  await root.locator('.hs-body', { hasText: 'Sibling reply 1' }).first().waitFor();
  assert.equal(await root.locator(':scope > .hs-replies > .hs-item').count(), 8);
  await page.getByRole('button', { name: 'Continue this thread →' }).first().click();
  await page.locator('.hs-body', { hasText: 'Chain level 5' }).waitFor();
  await page.getByRole('button', { name: '← Back to the whole thread' }).click();
  await page.locator('.hs-list > .hs-item').nth(1).waitFor();
  const first = page.locator('.hs-list > .hs-item').first();
  const toggle = first.locator(':scope > .hs-comment .hs-toggle');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await first.locator(':scope > .hs-comment .hs-actions').isVisible(), false);
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.getByLabel('Sort by').selectOption('old');
  await page.locator('.hs-list > .hs-item').first().waitFor();
  const times = await page.locator('.hs-list > .hs-item > .hs-comment time').evaluateAll((els) => els.map((e) => e.dateTime));
  const pinnedFree = times.filter(Boolean);
  assert.ok(pinnedFree.length > 1);
  assert.match(await page.locator('time').first().textContent(), /ago|yesterday|now|hour|minute|day/);
  assert.deepEqual(page.errors, []);
  await context.close();
});
