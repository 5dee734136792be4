// Live sync against the real stack: two tabs of one user see each other's
// changes, another user sees nothing, a reminder's toast comes once and on
// time, completing a recurring task shows the next instance, and going
// offline and back resumes without losing or doubling a row.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, launch, newUser, rest, shot, signedIn, tasksOf, until } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const rows = (page, title) => page.locator('li.task', { hasText: title });

test("two tabs of one user see each other's changes; another user sees nothing", async () => {
  const user = newUser('sync');
  const a = await signedIn(browser, user);
  const b = await signedIn(browser, user);
  const stranger = await signedIn(browser, newUser('other'));
  await a.page.waitForTimeout(500); // both sockets open

  await a.page.getByLabel('Quick add').fill('shared shopping list');
  const added = a.page.waitForResponse((r) => r.url().endsWith('/tasks') && r.request().method() === 'POST');
  await a.page.getByRole('button', { name: 'Add', exact: true }).click();
  await added;
  const sent = Date.now();
  await rows(b.page, 'shared shopping list').waitFor({ timeout: 5000 });
  const lag = Date.now() - sent;
  console.log(`# tab B showed tab A's new task ${lag} ms after A's reply`);
  assert.ok(lag <= 500, `took ${lag} ms (the bar is 500 ms)`);

  // B completes it; A sees it completed.
  await b.page.getByRole('checkbox', { name: 'Complete: shared shopping list' }).check();
  await a.page.locator('li.task.done', { hasText: 'shared shopping list' }).waitFor({ timeout: 5000 });

  await stranger.page.waitForTimeout(1000);
  assert.equal(await rows(stranger.page, 'shared shopping list').count(), 0, "another user's tab shows nothing");
  assert.equal((await tasksOf(user)).length, 1);
  for (const s of [a, b, stranger]) await s.context.close();
});

test('a reminder 5 s ahead shows its toast once, on time', async () => {
  const user = newUser('remind');
  const { context, page } = await signedIn(browser, user);
  await page.waitForTimeout(500);
  const at = new Date(Date.now() + 5000);
  at.setMilliseconds(0);
  const created = await rest(user, 'POST', '/tasks', {
    title: 'take the cake out',
    due_date: new Date(at.getTime() + 600000).toISOString().replace('.000', ''),
    reminders: [{ remind_at: at.toISOString().replace('.000', '') }],
  });
  assert.equal(created.status, 201);
  const toast = page.locator('.toast[data-kind="reminder"]', { hasText: 'take the cake out' });
  await toast.waitFor({ timeout: 20000 });
  const late = Date.now() - at.getTime();
  console.log(`# reminder toast ${late} ms after its time`);
  assert.ok(late > -1000, `the toast came ${-late} ms early`);
  assert.ok(late < 5000, `the toast came ${late} ms late`);
  await shot(page, 'reminder-toast-desktop');
  await page.waitForTimeout(2000);
  assert.equal(await toast.count(), 1, 'the toast shows once');
  // The bell counts it; the notification center lists it and marks it read.
  await page.getByRole('link', { name: /Notifications/ }).click();
  await page.getByRole('button', { name: 'Mark "take the cake out" read' }).click();
  await page.getByText('· read').waitFor();
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('completing a recurring task shows the next instance', async () => {
  const user = newUser('recur');
  const day = new Date().toISOString().slice(0, 10);
  await rest(user, 'POST', '/tasks', { title: 'water plants', due_date: day, recurrence: { frequency: 'daily' } });
  const { context, page } = await signedIn(browser, user);
  await rows(page, 'water plants').waitFor();
  await page.getByRole('checkbox', { name: 'Complete: water plants' }).check();
  await page.locator('li.task.done', { hasText: 'water plants' }).waitFor();
  // The recurring service creates the next one; it arrives over the WebSocket.
  await page.locator('li.task:not(.done)', { hasText: 'water plants' }).waitFor({ timeout: 15000 });
  const next = (await tasksOf(user)).find((t) => !t.completed);
  assert.ok(next && next.due_date > day, `the next instance is due after ${day}: ${next?.due_date}`);
  assert.equal(await page.locator('li.task', { hasText: 'water plants' }).count(), 2);
  await context.close();
});

test('offline: a banner, then the changes made meanwhile arrive once', async () => {
  const user = newUser('offline');
  const { context, page } = await signedIn(browser, user);
  await page.waitForTimeout(500);
  await rest(user, 'POST', '/tasks', { title: 'before the outage' });
  await rows(page, 'before the outage').waitFor();
  await context.setOffline(true);
  await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
  await shot(page, 'offline-desktop');
  for (const title of ['while away 1', 'while away 2']) await rest(user, 'POST', '/tasks', { title });
  await page.waitForTimeout(500);
  await context.setOffline(false);
  await rows(page, 'while away 2').waitFor({ timeout: 10000 });
  await until('the banner to go', async () => (await page.getByRole('status').filter({ hasText: 'Offline' }).count()) === 0);
  for (const title of ['before the outage', 'while away 1', 'while away 2']) {
    assert.equal(await rows(page, title).count(), 1, `${title} once`);
  }
  await context.close();
});
