// App-wide state the views share: task changes (from frames or the user's
// own requests), refetch requests, toasts, unread count, the route.

import { signal, type Signal } from '@preact/signals';

/** Calls `f` whenever `s` changes from now on (not with its current value). */
export function onChange<T>(s: Signal<T>, f: (value: T) => void): () => void {
  let first = true;
  return s.subscribe((v) => {
    if (first) first = false;
    else f(v);
  });
}
import type { Task } from './types';

type Listener = (task: Task, deleted: boolean) => void;
const listeners = new Set<Listener>();

/** Subscribes to task changes; returns the unsubscribe. */
export function onTask(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Bumped on every task change, for views that refetch (the calendar). */
export const taskChanges = signal(0);
/** Bumped when the live state may be stale (resync, reconnect with nothing to resume from). */
export const resyncs = signal(0);

export function applyTask(task: Task, deleted = false): void {
  for (const l of listeners) l(task, deleted);
  taskChanges.value++;
}

export type Toast = { id: number; text: string; action?: { label: string; run: () => void }; kind?: 'reminder' | 'info' | 'error' };
export const toasts = signal<Toast[]>([]);
let toastId = 0;

export function toast(text: string, opts: Omit<Toast, 'id' | 'text'> & { ms?: number } = {}): number {
  const id = ++toastId;
  toasts.value = [...toasts.value, { id, text, ...opts }];
  setTimeout(() => dismiss(id), opts.ms ?? 6000);
  return id;
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

export const unread = signal(0);

/** The current path; the app routes it itself (todo-api answers index.html for these paths). */
export const path = signal(location.pathname);

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.value = location.pathname;
}

addEventListener('popstate', () => {
  path.value = location.pathname;
});
