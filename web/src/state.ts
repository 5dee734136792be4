// The client's task state, without the DOM or the network: which loaded
// rows a list shows, how live frames change them, in which order they
// apply. Tested by state.test.ts.

import type { Task, TaskFrame } from './types';

/** The list's filters, as the API's query parameters name them. */
export type Filters = {
  q: string;
  status: 'all' | 'pending' | 'completed';
  priority: string[];
  tags: string[];
  category: string;
  due_after: string;
  due_before: string;
  overdue: '' | 'true' | 'false';
  sort: string;
};

export const NO_FILTERS: Filters = {
  q: '',
  status: 'all',
  priority: [],
  tags: [],
  category: '',
  due_after: '',
  due_before: '',
  overdue: '',
  sort: 'created_at',
};

/** The query string of a list request (the search endpoint when `q` is set). */
export function listPath(f: Filters, cursor: string | null, limit = 50): string {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.status !== 'all') p.set('status', f.status);
  if (f.priority.length) p.set('priority', f.priority.join(','));
  if (f.tags.length) p.set('tags', f.tags.join(','));
  if (f.category.trim()) p.set('category', f.category.trim());
  if (f.due_after) p.set('due_after', f.due_after);
  if (f.due_before) p.set('due_before', f.due_before);
  if (f.overdue) p.set('overdue', f.overdue);
  p.set('sort', f.sort);
  p.set('limit', String(limit));
  if (cursor) p.set('cursor', cursor);
  return `/tasks${f.q.trim() ? '/search' : ''}?${p}`;
}

/** When a task is due, as an instant (an all-day task: its date at 00:00 UTC, close enough to order). */
export function dueInstant(t: Task): number | null {
  if (!t.due_date) return null;
  return Date.parse(t.due_date.length === 10 ? `${t.due_date}T00:00:00Z` : t.due_date);
}

const RANK = { low: 0, medium: 1, high: 2, urgent: 3 } as const;

/** The API's order for `sort` (see the List_sort parameter): tasks without a due date last either way, ties by id. */
export function compare(sort: string, a: Task, b: Task): number {
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  let c = 0;
  if (key === 'due_date') {
    const x = dueInstant(a);
    const y = dueInstant(b);
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else c = x - y;
  } else if (key === 'priority') c = RANK[a.priority] - RANK[b.priority];
  else if (key === 'title') c = a.title.toLowerCase().localeCompare(b.title.toLowerCase());
  else if (key === 'updated_at') c = Date.parse(a.updated_at) - Date.parse(b.updated_at);
  else c = Date.parse(a.created_at) - Date.parse(b.created_at);
  if (desc) c = -c;
  return c || a.id - b.id;
}

/** Whether a task (met in a live frame) belongs in a list with these filters. */
export function matches(f: Filters, t: Task, now = Date.now()): boolean {
  if (f.status === 'pending' && t.completed) return false;
  if (f.status === 'completed' && !t.completed) return false;
  if (f.priority.length && !f.priority.includes(t.priority)) return false;
  if (f.tags.some((tag) => !t.tags.includes(tag.toLowerCase()))) return false;
  if (f.category.trim() && (t.category ?? '').toLowerCase() !== f.category.trim().toLowerCase()) return false;
  const q = f.q.trim().toLowerCase();
  if (q && ![t.title, t.description ?? '', ...t.tags].some((s) => s.toLowerCase().includes(q))) return false;
  const due = dueInstant(t);
  if ((f.due_after || f.due_before) && due === null) return false;
  if (f.due_after && due! < Date.parse(f.due_after.length === 10 ? `${f.due_after}T00:00:00Z` : f.due_after)) return false;
  if (f.due_before && due! >= Date.parse(f.due_before.length === 10 ? `${f.due_before}T00:00:00Z` : f.due_before)) return false;
  if (f.overdue) {
    const over = isOverdue(t, now);
    if ((f.overdue === 'true') !== over) return false;
  }
  return true;
}

/** The API's `overdue`, recomputed for a task from a frame. */
export function isOverdue(t: Task, now = Date.now()): boolean {
  if (t.completed || !t.due_date) return false;
  if (t.due_date.length === 10) return Date.parse(`${t.due_date}T23:59:59Z`) < now;
  return Date.parse(t.due_date) <= now;
}

/**
 * The rows of one list: what the pages loaded so far hold, kept sorted and
 * filtered as frames and the user's own changes arrive. A change never
 * replaces a row with an older version of it.
 */
export class TaskList {
  rows: Task[] = [];
  complete = false;
  total = 0;
  constructor(public filters: Filters) {}

  /** Adds a page from the API (the first one replaces what was there). */
  addPage(items: Task[], nextCursor: string | null, total: number, first: boolean): void {
    if (first) this.rows = [];
    for (const t of items) this.upsert(t, true);
    this.complete = nextCursor === null;
    this.total = total;
  }

  /** Applies a task as it is now (from a frame or a REST reply). Returns whether the rows changed. */
  upsert(t: Task, fromPage = false): boolean {
    const i = this.rows.findIndex((r) => r.id === t.id);
    if (i >= 0 && this.rows[i].version > t.version) return false;
    const keep = fromPage || matches(this.filters, t);
    if (i >= 0) this.rows.splice(i, 1);
    if (!keep) {
      if (i >= 0) this.total = Math.max(0, this.total - 1);
      return i >= 0;
    }
    const sort = this.filters.sort;
    const last = this.rows[this.rows.length - 1];
    // Beyond the last loaded row of an unfinished list, it comes with a later page.
    if (!fromPage && !this.complete && last && compare(sort, t, last) > 0) {
      if (i < 0) this.total += 1;
      return i >= 0;
    }
    let at = this.rows.findIndex((r) => compare(sort, t, r) < 0);
    if (at < 0) at = this.rows.length;
    this.rows.splice(at, 0, { ...t, overdue: t.overdue ?? isOverdue(t) });
    if (i < 0 && !fromPage) this.total += 1;
    return true;
  }

  /** Removes a task (deleted, or hidden while its delete can be undone). */
  remove(id: number): Task | undefined {
    const i = this.rows.findIndex((r) => r.id === id);
    if (i < 0) return undefined;
    this.total = Math.max(0, this.total - 1);
    return this.rows.splice(i, 1)[0];
  }
}

/**
 * Puts frames in `seq` order: drops what was seen, holds what comes early
 * until the gap is filled. `gapSince` says how long a gap has been open, so
 * the caller can reconnect with `since` (the server replays) if it lasts.
 */
export class SeqOrder {
  last: number | null;
  private held = new Map<number, TaskFrame>();
  gapSince: number | null = null;

  constructor(last: number | null = null) {
    this.last = last;
  }

  /** Returns the frames now ready to apply, in order. */
  accept(frame: TaskFrame, now = Date.now()): TaskFrame[] {
    if (this.last !== null && frame.seq <= this.last) return [];
    if (this.last === null) this.last = frame.seq - 1;
    this.held.set(frame.seq, frame);
    const ready: TaskFrame[] = [];
    for (let next = this.held.get(this.last + 1); next; next = this.held.get(this.last + 1)) {
      this.held.delete(next.seq);
      this.last = next.seq;
      ready.push(next);
    }
    this.gapSince = this.held.size ? (this.gapSince ?? now) : null;
    return ready;
  }

  /** After a refetch: everything up to `seq` is in the fetched state. */
  reset(seq: number | null): void {
    this.last = seq;
    this.held.clear();
    this.gapSince = null;
  }
}

/** Deletes wait this long so they can be undone; then they are sent. */
export const UNDO_MS = 5000;

/** Seconds until a JWT's `exp` (negative: expired); null when it has none or is not a JWT. */
export function tokenSecondsLeft(token: string, nowMs = Date.now()): number | null {
  try {
    const part = token.split('.')[1];
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.exp === 'number' ? json.exp - Math.floor(nowMs / 1000) : null;
  } catch {
    return null;
  }
}

/** The `sub` of a JWT, or null. */
export function tokenSubject(token: string): string | null {
  try {
    const part = token.split('.')[1];
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.sub === 'string' ? json.sub : null;
  } catch {
    return null;
  }
}
