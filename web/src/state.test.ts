import { describe, expect, it } from 'vitest';
import { compare, isOverdue, listPath, matches, NO_FILTERS, SeqOrder, TaskList, tokenSecondsLeft, tokenSubject, type Filters } from './state';
import type { Task, TaskFrame } from './types';

let nextId = 1;
function task(p: Partial<Task> = {}): Task {
  const id = p.id ?? nextId++;
  return {
    id,
    user_id: 'alice',
    title: `task ${id}`,
    description: null,
    completed: false,
    completed_at: null,
    priority: 'medium',
    tags: [],
    category: null,
    parent_task_id: null,
    created_at: `2026-01-01T00:00:${String(id % 60).padStart(2, '0')}Z`,
    updated_at: '2026-01-01T00:00:00Z',
    due_date: null,
    timezone: 'UTC',
    reminders: [],
    recurrence: null,
    series_id: null,
    occurrence: null,
    version: 1,
    ...p,
  };
}
const frame = (seq: number, t: Task, type: TaskFrame['type'] = 'task.updated'): TaskFrame => ({ type, seq, task: t });
const f = (p: Partial<Filters>): Filters => ({ ...NO_FILTERS, ...p });

describe('listPath', () => {
  it('names every filter as the API does, and uses search when q is set', () => {
    expect(listPath(f({ status: 'pending', priority: ['high', 'urgent'], tags: ['home'], sort: '-due_date' }), null)).toBe(
      '/tasks?status=pending&priority=high%2Curgent&tags=home&sort=-due_date&limit=50',
    );
    expect(listPath(f({ q: ' milk ', overdue: 'true' }), 'abc', 10)).toBe('/tasks/search?q=milk&overdue=true&sort=created_at&limit=10&cursor=abc');
  });
});

describe('matches', () => {
  const now = Date.parse('2026-03-04T10:00:00Z');
  it('applies status, priority, tags (all of), category and search like the API', () => {
    const t = task({ title: 'Buy milk', priority: 'high', tags: ['home', 'shop'], category: 'Errands' });
    expect(matches(f({ status: 'pending', priority: ['high'], tags: ['HOME', 'shop'], category: 'errands', q: 'MILK' }), t, now)).toBe(true);
    expect(matches(f({ status: 'completed' }), t, now)).toBe(false);
    expect(matches(f({ priority: ['low'] }), t, now)).toBe(false);
    expect(matches(f({ tags: ['home', 'work'] }), t, now)).toBe(false);
    expect(matches(f({ category: 'work' }), t, now)).toBe(false);
    expect(matches(f({ q: 'shop' }), t, now)).toBe(true);
    expect(matches(f({ q: 'bread' }), t, now)).toBe(false);
  });
  it('keeps due bounds half-open and leaves undated tasks out of them', () => {
    const t = task({ due_date: '2026-03-05T09:00:00Z' });
    expect(matches(f({ due_after: '2026-03-05' }), t, now)).toBe(true);
    expect(matches(f({ due_before: '2026-03-05' }), t, now)).toBe(false);
    expect(matches(f({ due_before: '2026-03-06' }), t, now)).toBe(true);
    expect(matches(f({ due_after: '2026-01-01' }), task(), now)).toBe(false);
  });
  it('computes overdue: an instant once reached, an all-day task after its day', () => {
    expect(isOverdue(task({ due_date: '2026-03-04T10:00:00Z' }), now)).toBe(true);
    expect(isOverdue(task({ due_date: '2026-03-04' }), now)).toBe(false);
    expect(isOverdue(task({ due_date: '2026-03-03' }), now)).toBe(true);
    expect(isOverdue(task({ due_date: '2026-03-03', completed: true }), now)).toBe(false);
    expect(matches(f({ overdue: 'false' }), task({ due_date: '2026-03-03' }), now)).toBe(false);
  });
});

describe('compare', () => {
  it('puts tasks without a due date last either way and breaks ties by id', () => {
    const a = task({ id: 101, due_date: '2026-03-01' });
    const b = task({ id: 102, due_date: '2026-03-02T00:00:00+05:00' });
    const none = task({ id: 103 });
    const sorted = (s: string) => [none, b, a].sort((x, y) => compare(s, x, y)).map((t) => t.id);
    expect(sorted('due_date')).toEqual([101, 102, 103]);
    expect(sorted('-due_date')).toEqual([102, 101, 103]);
    const p = [task({ id: 5, priority: 'low' }), task({ id: 4, priority: 'urgent' }), task({ id: 3, priority: 'urgent' })];
    expect(p.sort((x, y) => compare('-priority', x, y)).map((t) => t.id)).toEqual([3, 4, 5]);
  });
});

describe('TaskList', () => {
  it('keeps live rows sorted, filtered and never older than what it has', () => {
    const list = new TaskList(f({ status: 'pending', sort: 'title' }));
    list.addPage([task({ id: 1, title: 'b' }), task({ id: 2, title: 'd' })], null, 2, true);
    expect(list.upsert(task({ id: 3, title: 'c' }))).toBe(true);
    expect(list.rows.map((t) => t.id)).toEqual([1, 3, 2]);
    expect(list.total).toBe(3);
    // A completed task leaves a pending list.
    list.upsert(task({ id: 1, title: 'b', completed: true, version: 2 }));
    expect(list.rows.map((t) => t.id)).toEqual([3, 2]);
    expect(list.total).toBe(2);
    // A stale version does not overwrite a newer row.
    list.upsert(task({ id: 2, title: 'z', version: 5 }));
    expect(list.upsert(task({ id: 2, title: 'a', version: 4 }))).toBe(false);
    expect(list.rows.find((t) => t.id === 2)!.title).toBe('z');
    expect(list.remove(3)!.id).toBe(3);
    expect(list.rows.map((t) => t.id)).toEqual([2]);
  });
  it('leaves a new row past the last loaded one of an unfinished list to a later page', () => {
    const list = new TaskList(f({ sort: 'title' }));
    list.addPage([task({ id: 1, title: 'a' }), task({ id: 2, title: 'c' })], 'cursor', 10, true);
    expect(list.upsert(task({ id: 3, title: 'z' }))).toBe(false);
    expect(list.total).toBe(11);
    expect(list.upsert(task({ id: 4, title: 'b' }))).toBe(true);
    expect(list.rows.map((t) => t.id)).toEqual([1, 4, 2]);
  });
});

describe('SeqOrder', () => {
  it('applies frames in seq order, holding early ones and dropping duplicates', () => {
    const o = new SeqOrder(10);
    const t = task();
    expect(o.accept(frame(10, t))).toEqual([]);
    expect(o.accept(frame(12, t), 1000).map((x) => x.seq)).toEqual([]);
    expect(o.gapSince).toBe(1000);
    expect(o.accept(frame(13, t), 1200)).toEqual([]);
    expect(o.gapSince).toBe(1000);
    expect(o.accept(frame(11, t)).map((x) => x.seq)).toEqual([11, 12, 13]);
    expect(o.gapSince).toBeNull();
    expect(o.accept(frame(12, t))).toEqual([]);
    expect(o.last).toBe(13);
  });
  it('takes its baseline from the first frame when it has none, and resets after a refetch', () => {
    const o = new SeqOrder();
    expect(o.accept(frame(40, task())).map((x) => x.seq)).toEqual([40]);
    o.accept(frame(42, task()));
    o.reset(null);
    expect(o.gapSince).toBeNull();
    expect(o.accept(frame(50, task())).map((x) => x.seq)).toEqual([50]);
  });
});

describe('tokens', () => {
  const jwt = (claims: object) => `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;
  it('reads sub and the seconds left before exp', () => {
    const t = jwt({ sub: 'alice', exp: 1000 });
    expect(tokenSubject(t)).toBe('alice');
    expect(tokenSecondsLeft(t, 990_000)).toBe(10);
    expect(tokenSecondsLeft(t, 1_001_000)).toBe(-1);
    expect(tokenSubject('not a token')).toBeNull();
    expect(tokenSecondsLeft(jwt({ sub: 'x' }))).toBeNull();
  });
});
