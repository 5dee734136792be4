import { useEffect, useState } from 'preact/hooks';
import { Link } from '../link';
import { api } from '../session';
import type { AuditEntry } from '../types';

type Page = { items: AuditEntry[]; next_cursor: string | null; total: number };

function changes(c: AuditEntry['changes']): string {
  if (!c) return '';
  return Object.entries(c)
    .map(([k, v]) => {
      const d = v as { from?: unknown; to?: unknown } | undefined;
      return d && typeof d === 'object' && 'to' in d ? `${k}: ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}` : k;
    })
    .join('; ');
}

/** A task's audit trail: GET /api/{user}/audit?task_id=... */
export function Activity({ id }: { id: number }) {
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = async (next: string | null) => {
    try {
      const p = await api<Page>('GET', `/audit?task_id=${id}&limit=50${next ? `&cursor=${next}` : ''}`);
      setItems((old) => (next ? [...old, ...p.items] : p.items));
      setCursor(p.next_cursor);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => void load(null), [id]);
  return (
    <section aria-labelledby="a-h">
      <h1 id="a-h" tabIndex={-1}>
        Activity of task {id}
      </h1>
      <p>
        <Link href={`/tasks/${id}`}>Back to the task</Link>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 && !error && <p>No activity recorded yet.</p>}
      <ol class="audit">
        {items.map((a) => (
          <li key={a.id}>
            <strong>{a.type}</strong> <time dateTime={a.occurred_at}>{new Date(a.occurred_at).toLocaleString()}</time>
            {a.title && <> · {a.title}</>}
            {a.changes && <div class="meta">{changes(a.changes)}</div>}
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          More
        </button>
      )}
    </section>
  );
}
