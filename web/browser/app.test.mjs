// Views against the real stack: sign-in, quick add, the editor with every
// field and with field errors, filters/search/sort, chat, calendar drag,
// notifications and activity, an axe-core scan of each view, screenshots.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { APP, PHONE, axe, idpToken, launch, newUser, rest, shot, signedIn, tasksOf, until } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const isoDay = (offsetDays) => new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);

test('sign-in page, then quick add with a preview creates the task it shows', async () => {
  const user = newUser('quick');
  const { context, page } = await signedIn(browser, user);
  await page.getByLabel('Quick add').fill('pay rent every month on the 1st at 9am #home !high remind me 1 day before');
  const preview = page.locator('#quick-preview');
  await until('the preview', async () => /pay rent/.test(await preview.textContent()));
  const shown = await preview.textContent();
  assert.match(shown, /high/);
  assert.match(shown, /#home/);
  assert.match(shown, /repeats/);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('li.task', { hasText: 'pay rent' }).waitFor();
  const [task] = await tasksOf(user);
  assert.equal(task.title, 'pay rent');
  assert.equal(task.priority, 'high');
  assert.deepEqual(task.tags, ['home']);
  assert.equal(task.recurrence.frequency, 'monthly');
  assert.deepEqual(task.reminders.map((r) => r.before_due), ['P1D']);
  assert.deepEqual(await axe(page), []);
  await shot(page, 'tasks-desktop');
  await context.close();
});

test('the editor shows the API field errors at the fields and stores nothing, then saves every field', async () => {
  const user = newUser('editor');
  const { context, page } = await signedIn(browser, user);
  const parent = (await rest(user, 'POST', '/tasks', { title: 'parent' })).body;
  await page.goto(`${APP}/tasks/new`);
  await page.getByLabel('Title').fill('Quarterly report');
  await page.getByLabel('At a time').check();
  // 01:30 on 2030-03-31 does not exist in London (the clocks skip it).
  await page.getByLabel('Due date and time').fill('2030-03-31T01:30');
  await page.getByLabel('Time zone', { exact: true }).fill('Europe/London');
  await page.getByLabel('Repeats').selectOption('custom');
  await page.getByLabel(/^RRULE/).fill('FREQ=FORTNIGHTLY');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('nothing was saved').waitFor();
  assert.match(await page.locator('#e-due').textContent(), /does not exist in Europe\/London/);
  assert.match(await page.locator('#e-rec').textContent(), /FORTNIGHTLY|frequency|FREQ/i);
  assert.equal(await page.getByLabel('Due date and time').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await axe(page), []);
  await shot(page, 'editor-errors-desktop');
  assert.deepEqual((await tasksOf(user)).map((t) => t.title), ['parent'], 'a refused save stored nothing');

  // Every field, valid.
  await page.getByLabel('Due date and time').fill('2030-07-01T09:30');
  await page.getByLabel('Description').fill('numbers for Q2');
  await page.getByLabel('Priority').selectOption('urgent');
  await page.getByLabel('Tags (comma separated)').fill('Work, finance');
  await page.getByLabel('Category').fill('Office');
  await page.getByLabel('Parent task id').fill(String(parent.id));
  await page.getByRole('button', { name: 'Add reminder' }).click();
  await page.getByLabel('Reminder 1 amount').fill('2');
  await page.getByLabel('Reminder 1 unit').selectOption('H');
  await page.getByRole('button', { name: 'Add reminder' }).click();
  await page.getByLabel('Reminder 2', { exact: true }).selectOption('at');
  await page.getByLabel(/Reminder 2 moment/).fill('2030-06-30T18:00');
  await page.getByLabel('Repeats').selectOption('FREQ=MONTHLY');
  await page.getByLabel('Every how many periods').fill('3');
  await page.getByLabel('Next one').selectOption('after_completion');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
  const saved = (await tasksOf(user)).find((t) => t.title === 'Quarterly report');
  assert.ok(saved, 'saved');
  assert.equal(saved.due_date, '2030-07-01T09:30:00+01:00');
  assert.equal(saved.timezone, 'Europe/London');
  assert.equal(saved.description, 'numbers for Q2');
  assert.equal(saved.priority, 'urgent');
  assert.deepEqual(saved.tags, ['work', 'finance']);
  assert.equal(saved.category, 'Office');
  assert.equal(saved.parent_task_id, parent.id);
  assert.deepEqual(
    saved.reminders.map((r) => r.before_due ?? r.remind_at),
    ['PT2H', '2030-06-30T18:00:00+01:00'],
  );
  assert.equal(saved.recurrence.frequency, 'monthly');
  assert.equal(saved.recurrence.interval, 3);
  assert.equal(saved.recurrence.mode, 'after_completion');

  // Reopened, the form shows what was stored; the activity lists the creation.
  await page.goto(`${APP}/tasks/${saved.id}`);
  assert.equal(await page.getByLabel('Due date and time').inputValue(), '2030-07-01T09:30');
  await page.getByRole('link', { name: 'Activity of this task' }).click();
  await page.getByText('task.created').waitFor({ timeout: 15000 });
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('filters, search and sort show what the API selects', async () => {
  const user = newUser('filters');
  for (const t of [
    { title: 'alpha report', priority: 'high', tags: ['work'], category: 'Office', due_date: isoDay(-2) },
    { title: 'beta groceries', priority: 'low', tags: ['home'], due_date: isoDay(3) },
    { title: 'gamma report', priority: 'urgent', tags: ['work', 'q2'] },
  ]) {
    assert.equal((await rest(user, 'POST', '/tasks', t)).status, 201);
  }
  const { context, page } = await signedIn(browser, user);
  const titles = () => page.locator('li.task .title').allTextContents();
  await until('three rows', async () => (await titles()).length === 3);
  await page.getByLabel('Search').fill('report');
  await page.getByLabel('Search').press('Enter');
  await until('search', async () => (await titles()).join() === 'alpha report,gamma report');
  await page.getByRole('checkbox', { name: 'urgent' }).check();
  await until('priority', async () => (await titles()).join() === 'gamma report');
  await page.getByRole('button', { name: 'Clear' }).click();
  await until('cleared', async () => (await titles()).length === 3);
  await page.getByLabel('Overdue').selectOption('true');
  await until('overdue', async () => (await titles()).join() === 'alpha report');
  assert.equal(await page.locator('li.task.overdue').count(), 1);
  await page.getByLabel('Overdue').selectOption('');
  await page.getByLabel('Tags (all of)').fill('work, q2');
  await page.getByLabel('Tags (all of)').press('Tab');
  await until('tags', async () => (await titles()).join() === 'gamma report');
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByLabel('Sort').selectOption('-priority');
  await until('sorted', async () => (await titles()).join() === 'gamma report,alpha report,beta groceries');
  await page.getByLabel('Sort').selectOption('due_date');
  await until('by due', async () => (await titles()).join() === 'alpha report,beta groceries,gamma report');
  // Inline complete, then delete with undo, then delete for real.
  await page.getByRole('checkbox', { name: 'Complete: beta groceries' }).check();
  await until('completed', async () => (await tasksOf(user)).find((t) => t.title === 'beta groceries').completed);
  await page.getByRole('button', { name: 'Delete alpha report' }).click();
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.locator('li.task', { hasText: 'alpha report' }).waitFor();
  await page.getByRole('button', { name: 'Delete gamma report' }).click();
  await until('deleted after the undo window', async () => (await tasksOf(user)).length === 2, 12000);
  assert.ok((await tasksOf(user)).some((t) => t.title === 'alpha report'), 'the undone delete kept the task');
  await context.close();
});

test('chat adds a task that appears in the list, linked from the answer', async () => {
  const user = newUser('chat');
  const { context, page } = await signedIn(browser, user);
  await page.getByRole('link', { name: 'Chat' }).click();
  await page.getByLabel('Message').fill('add call the plumber tomorrow at 10am #house');
  await page.getByRole('button', { name: 'Send' }).click();
  const link = page.getByRole('link', { name: /call the plumber/ });
  await link.waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, 'chat-desktop');
  await page.getByRole('link', { name: 'Tasks', exact: true }).click();
  await page.locator('li.task', { hasText: 'call the plumber' }).waitFor();
  // The conversation is kept for the tab.
  await page.getByRole('link', { name: 'Chat' }).click();
  await page.getByText('add call the plumber tomorrow at 10am #house').waitFor();
  await context.close();
});

test('calendar: month and week, today and overdue marked, projected occurrences, drag to reschedule', async () => {
  const user = newUser('cal');
  const today = isoDay(0);
  const from = today.slice(0, 8) + (Number(today.slice(8)) > 15 ? '03' : '20');
  const moved = (await rest(user, 'POST', '/tasks', { title: 'dentist', due_date: `${from}T15:00:00`, timezone: 'America/New_York' })).body;
  await rest(user, 'POST', '/tasks', { title: 'standup', due_date: today, recurrence: { frequency: 'daily' } });
  await rest(user, 'POST', '/tasks', { title: 'late thing', due_date: isoDay(-1) });
  const { context, page } = await signedIn(browser, user);
  await page.getByRole('link', { name: 'Calendar' }).click();
  await page.locator(`td[data-date="${from}"] li.item`, { hasText: 'dentist' }).waitFor();
  assert.equal(await page.locator('td.today').getAttribute('data-date'), today);
  assert.ok((await page.locator('li.item.projected', { hasText: 'standup' }).count()) > 0, 'projected occurrences are shown');
  if (await page.locator(`td[data-date="${isoDay(-1)}"]`).count()) {
    await page.locator(`td[data-date="${isoDay(-1)}"] li.item.overdue`, { hasText: 'late thing' }).waitFor();
  }
  assert.deepEqual(await axe(page), []);
  await shot(page, 'calendar-desktop');
  const to = from.slice(0, 8) + String(Number(from.slice(8)) + 2).padStart(2, '0');
  await page.dragAndDrop(`li.item[data-task="${moved.id}"]`, `td[data-date="${to}"]`);
  await until('the new due date', async () => (await tasksOf(user)).find((t) => t.id === moved.id).due_date.startsWith(to), 8000);
  const after = (await tasksOf(user)).find((t) => t.id === moved.id);
  assert.match(after.due_date, /T15:00:00-0[45]:00$/, 'the wall-clock time in its zone is kept');
  await page.locator(`td[data-date="${to}"] li.item`, { hasText: 'dentist' }).waitFor();
  await page.getByLabel('View').selectOption('week');
  await page.getByRole('heading', { name: /Week of/ }).waitFor();
  await context.close();
});

test('every view at phone width, with no axe violations', async () => {
  const user = newUser('phone');
  await rest(user, 'POST', '/tasks', { title: 'water the plants', due_date: isoDay(1), tags: ['home'] });
  const { context, page } = await signedIn(browser, user, PHONE);
  await page.locator('li.task', { hasText: 'water the plants' }).waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, 'tasks-phone');
  for (const [path, name] of [
    ['/calendar', 'calendar'],
    ['/chat', 'chat'],
    ['/notifications', 'notifications'],
    ['/tasks/new', 'editor'],
  ]) {
    await page.goto(`${APP}${path}`);
    await page.locator('h1').first().waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(await axe(page), [], path);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width + 1, `${path} scrolls sideways at phone width (${width}px)`);
    await shot(page, `${name}-phone`);
  }
  // And the sign-in page, signed out.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, 'sign-in-phone');
  await context.close();
});

test("a pasted identity-provider token signs in for its user, per tab, and its expiry sends the tab back to sign-in", async () => {
  const user = newUser('idp');
  await rest(user, 'POST', '/tasks', { title: 'mine only' });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${APP}/sign-in`);
  await page.getByLabel('Access token').fill(await idpToken(user, 6));
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator('li.task', { hasText: 'mine only' }).waitFor();
  // Another tab of the same browser has its own sign-in.
  const other = await context.newPage();
  await other.goto(`${APP}/tasks`);
  await other.getByRole('heading', { name: 'Sign in' }).waitFor();
  await other.close();
  // At the token's exp the tab is signed out, saying why.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 10000 });
  await page.getByText(/expired/).first().waitFor();
  await context.close();
});
