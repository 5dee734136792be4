// The realtime WebSocket: frames applied in seq order, resume with `since`
// after a reconnect, refetch on `resync`, offline while the socket is down,
// back to sign-in when the server closes with 4001 (token expired).

import { signal } from '@preact/signals';
import { appConfig, signOut } from './session';
import { SeqOrder } from './state';
import { applyTask, resyncs } from './store';
import type { Frame, Notification } from './types';

export const online = signal(true);
/** Set on reminder frames; the shell shows a toast and a system notification. */
export const reminders = signal<Notification | null>(null);

/** How long a gap in seq may stay open before reconnecting to have it replayed. */
const GAP_MS = 1500;

export class Live {
  private ws: WebSocket | null = null;
  private order = new SeqOrder();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(private token: string) {}

  start(): void {
    addEventListener('offline', this.goOffline);
    addEventListener('online', this.goOnline);
    let ticks = 0;
    this.tick = setInterval(() => {
      // A gap that stays open: reconnect with `since`, the server replays it.
      if (this.order.gapSince !== null && Date.now() - this.order.gapSince > GAP_MS) this.ws?.close(4000, 'gap');
      if (++ticks % 40 === 0 && this.ws?.readyState === WebSocket.OPEN) this.ws.send('{"type":"ping"}');
    }, 500);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.tick);
    removeEventListener('offline', this.goOffline);
    removeEventListener('online', this.goOnline);
    this.ws?.close(1000);
  }

  private goOffline = () => {
    online.value = false;
    this.ws?.close(4000, 'offline');
  };

  private goOnline = () => {
    clearTimeout(this.timer);
    this.retry = 0;
    if (!this.ws) void this.connect();
  };

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const cfg = await appConfig();
    const base = cfg.realtime_url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const q = new URLSearchParams({ access_token: this.token });
    const resuming = this.order.last !== null;
    if (resuming) q.set('since', String(this.order.last));
    const ws = new WebSocket(`${base}?${q}`);
    this.ws = ws;
    ws.onopen = () => {
      online.value = true;
      this.retry = 0;
      // Without a seq to resume from, what changed before this socket (while
      // away, or between the first page load and now) is unknown: refetch.
      if (!resuming) resyncs.value++;
    };
    ws.onmessage = (e) => this.frame(e.data);
    ws.onclose = (e) => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (e.code === 4001) {
        signOut('Your sign-in expired: sign in again.');
        return;
      }
      online.value = false;
      if (!navigator.onLine) return; // 'online' reconnects
      const wait = e.code === 4000 ? 0 : Math.min(5000, 250 * 2 ** this.retry++);
      this.timer = setTimeout(() => void this.connect(), wait);
    };
  }

  private frame(data: unknown): void {
    let f: Frame;
    try {
      f = JSON.parse(String(data));
    } catch {
      return;
    }
    if (f.type === 'resync') {
      this.order.reset(null);
      resyncs.value++;
    } else if (f.type === 'notification') {
      reminders.value = f.notification;
    } else if ('seq' in f) {
      for (const ready of this.order.accept(f)) applyTask(ready.task, ready.type === 'task.deleted');
    }
  }
}
