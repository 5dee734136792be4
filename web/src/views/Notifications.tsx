import { useEffect, useState } from 'preact/hooks';
import { Link } from '../link';
import { reminders } from '../live';
import { api } from '../session';
import { onChange, unread } from '../store';
import type { Notification } from '../types';

type Page = { items: Notification[]; next_cursor: string | null; total: number };

/** The bell's count: unread notifications. */
export async function refreshUnread(): Promise<void> {
  try {
    unread.value = (await api<Page>('GET', '/notifications?unread=true&limit=1')).total;
  } catch {
    /* the bell keeps its count */
  }
}

/** The notification center: delivered reminders, newest first, paged; mark read. */
export function Notifications() {
  const [items, setItems] = useState<Notification[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [perm, setPerm] = useState('Notification' in window ? Notification.permission : 'unsupported');

  const load = async (next: string | null) => {
    try {
      const p = await api<Page>('GET', `/notifications?limit=20${next ? `&cursor=${next}` : ''}`);
      setItems((old) => (next ? [...old, ...p.items] : p.items));
      setCursor(p.next_cursor);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => void load(null), []);
  useEffect(() => onChange(reminders, () => void load(null)), []);

  const read = async (n: Notification) => {
    try {
      await api('POST', `/notifications/${encodeURIComponent(n.id)}/read`);
      setItems((old) => old.map((x) => (x.id === n.id ? { ...x, read: true } : x)));
      await refreshUnread();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="n-h">
      <h1 id="n-h" tabIndex={-1}>
        Notifications
      </h1>
      {perm === 'default' && (
        <button type="button" onClick={() => void Notification.requestPermission().then(setPerm)}>
          Also show reminders as system notifications
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 && <p>No reminders delivered yet.</p>}
      <ul class="notes">
        {items.map((n) => (
          <li key={n.id} class={n.read ? 'read' : 'unread'}>
            <Link href={`/tasks/${n.task_id}`}>{n.title}</Link>
            <span class="meta">
              {' '}
              reminder for {new Date(n.remind_at).toLocaleString()}
              {n.read ? ' · read' : ''}
            </span>
            {!n.read && (
              <button type="button" onClick={() => void read(n)} aria-label={`Mark "${n.title}" read`}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Older
        </button>
      )}
    </section>
  );
}
