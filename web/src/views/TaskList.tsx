import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Link } from '../link';
import { browserZone, showDue } from '../dates';
import { api, ApiError } from '../session';
import { listPath, NO_FILTERS, TaskList, UNDO_MS, type Filters } from '../state';
import { applyTask, onChange, onTask, resyncs, toast } from '../store';
import { PRIORITIES, type Task, type TaskPage } from '../types';

const SORTS: [string, string][] = [
  ['created_at', 'Oldest first'],
  ['-created_at', 'Newest first'],
  ['due_date', 'Due soonest'],
  ['-due_date', 'Due latest'],
  ['-priority', 'Most urgent'],
  ['priority', 'Least urgent'],
  ['title', 'Title A-Z'],
  ['-updated_at', 'Recently changed'],
];

/** Filters survive a reload of the tab (they are the URL's query). */
function filtersFromUrl(): Filters {
  const p = new URLSearchParams(location.search);
  const list = (k: string) => (p.get(k) ?? '').split(',').filter(Boolean);
  return {
    ...NO_FILTERS,
    q: p.get('q') ?? '',
    status: (p.get('status') as Filters['status']) ?? 'all',
    priority: list('priority'),
    tags: list('tags'),
    category: p.get('category') ?? '',
    due_after: p.get('due_after') ?? '',
    due_before: p.get('due_before') ?? '',
    overdue: (p.get('overdue') as Filters['overdue']) ?? '',
    sort: p.get('sort') ?? 'created_at',
  };
}

export function TaskListView() {
  const [filters, setFilters] = useState<Filters>(filtersFromUrl);
  const [formKey, setFormKey] = useState(0);
  const list = useMemo(() => new TaskList(filters), [filters]);
  const [, setTick] = useState(0);
  const rerender = () => setTick((n) => n + 1);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const pendingDeletes = useRef(new Set<number>());
  const loadSeq = useRef(0);
  // Changes that arrive while a first page is being fetched may be newer than
  // it: they are applied again on top of it (older versions never win).
  const racing = useRef<[Task, boolean][] | null>(null);

  const load = async (first: boolean) => {
    const mine = ++loadSeq.current;
    setLoading(true);
    setError('');
    if (first) racing.current = [];
    try {
      const page = await api<TaskPage>('GET', listPath(filters, first ? null : cursor));
      if (mine !== loadSeq.current) return;
      list.addPage(page.items.filter((t) => !pendingDeletes.current.has(t.id)), page.next_cursor, page.total, first);
      if (first) {
        for (const [t, deleted] of racing.current ?? []) {
          if (deleted) list.remove(t.id);
          else list.upsert(t);
        }
        racing.current = null;
      }
      setCursor(page.next_cursor);
    } catch (e) {
      if (mine === loadSeq.current) setError((e as Error).message);
    } finally {
      if (mine === loadSeq.current) setLoading(false);
      rerender();
    }
  };

  useEffect(() => {
    const p = listPath(filters, null).split('?')[1];
    const q = new URLSearchParams(p);
    q.delete('limit');
    if (q.get('sort') === 'created_at') q.delete('sort');
    history.replaceState(null, '', `/tasks${q.size ? `?${q}` : ''}`);
    void load(true);
  }, [list]);
  useEffect(() => onChange(resyncs, () => void load(true)), [list]);
  useEffect(
    () =>
      onTask((t, deleted) => {
        racing.current?.push([t, deleted]);
        if (deleted) list.remove(t.id);
        else if (!pendingDeletes.current.has(t.id)) list.upsert(t);
        rerender();
      }),
    [list],
  );

  // Loads the next page as the end of the list scrolls into view.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor) return;
    const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && !loading && void load(false), { rootMargin: '400px' });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, loading, list]);

  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));

  const toggle = async (t: Task) => {
    try {
      applyTask(await api<Task>('PATCH', `/tasks/${t.id}/complete`, { completed: !t.completed }));
    } catch (e) {
      toast((e as Error).message, { kind: 'error' });
    }
  };

  const remove = (t: Task) => {
    pendingDeletes.current.add(t.id);
    list.remove(t.id);
    rerender();
    let undone = false;
    const timer = setTimeout(async () => {
      if (undone) return;
      try {
        await api('DELETE', `/tasks/${t.id}`);
        applyTask(t, true);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) toast(`Could not delete "${t.title}": ${(e as Error).message}`, { kind: 'error' });
        list.upsert(t);
        rerender();
      } finally {
        pendingDeletes.current.delete(t.id);
      }
    }, UNDO_MS);
    toast(`Deleted "${t.title}"`, {
      ms: UNDO_MS,
      action: {
        label: 'Undo',
        run: () => {
          undone = true;
          clearTimeout(timer);
          pendingDeletes.current.delete(t.id);
          list.upsert(t, true);
          rerender();
        },
      },
    });
  };

  return (
    <section aria-labelledby="tasks-h">
      <h1 id="tasks-h" tabIndex={-1}>
        Tasks
      </h1>
      <QuickAdd />
      <details class="filters" open={matchMedia('(min-width: 700px)').matches}>
        <summary>Filter, search and sort</summary>
        {/* Text boxes are uncontrolled: a list update while someone types must not reset them; Clear remounts the form. */}
        <form key={formKey} role="search" onSubmit={(e) => e.preventDefault()} class="filter-form">
          <label>
            Search
            <input type="search" name="q" defaultValue={filters.q} onChange={(e) => set({ q: e.currentTarget.value })} />
          </label>
          <label>
            Status
            <select name="status" value={filters.status} onChange={(e) => set({ status: e.currentTarget.value as Filters['status'] })}>
              <option value="all">All</option>
              <option value="pending">Pending</option>
              <option value="completed">Completed</option>
            </select>
          </label>
          <fieldset>
            <legend>Priority</legend>
            {PRIORITIES.map((p) => (
              <label key={p} class="inline">
                <input
                  type="checkbox"
                  name="priority"
                  value={p}
                  checked={filters.priority.includes(p)}
                  onChange={(e) => set({ priority: e.currentTarget.checked ? [...filters.priority, p] : filters.priority.filter((x) => x !== p) })}
                />
                {p}
              </label>
            ))}
          </fieldset>
          <label>
            Tags (all of)
            <input name="tags" defaultValue={filters.tags.join(', ')} onChange={(e) => set({ tags: e.currentTarget.value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) })} />
          </label>
          <label>
            Category
            <input name="category" defaultValue={filters.category} onChange={(e) => set({ category: e.currentTarget.value })} />
          </label>
          <label>
            Due from
            <input type="date" name="due_after" value={filters.due_after} onChange={(e) => set({ due_after: e.currentTarget.value })} />
          </label>
          <label>
            Due before
            <input type="date" name="due_before" value={filters.due_before} onChange={(e) => set({ due_before: e.currentTarget.value })} />
          </label>
          <label>
            Overdue
            <select name="overdue" value={filters.overdue} onChange={(e) => set({ overdue: e.currentTarget.value as Filters['overdue'] })}>
              <option value="">Any</option>
              <option value="true">Only overdue</option>
              <option value="false">Not overdue</option>
            </select>
          </label>
          <label>
            Sort
            <select name="sort" value={filters.sort} onChange={(e) => set({ sort: e.currentTarget.value })}>
              {SORTS.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            onClick={() => {
              setFilters({ ...NO_FILTERS });
              setFormKey((k) => k + 1);
            }}
          >
            Clear
          </button>
        </form>
      </details>
      <p class="count" aria-live="polite">
        {loading && list.rows.length === 0 ? 'Loading…' : `${list.total} task${list.total === 1 ? '' : 's'}`}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="tasks" aria-label="Tasks">
        {list.rows.map((t) => (
          <Row key={t.id} task={t} onToggle={toggle} onDelete={remove} />
        ))}
      </ul>
      <div ref={sentinel} />
      {cursor && (
        <button type="button" disabled={loading} onClick={() => void load(false)}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}

function Row({ task: t, onToggle, onDelete }: { task: Task; onToggle: (t: Task) => void; onDelete: (t: Task) => void }) {
  return (
    <li class={`task${t.completed ? ' done' : ''}${t.overdue ? ' overdue' : ''}`} data-id={t.id}>
      <input type="checkbox" id={`c${t.id}`} checked={t.completed} onChange={() => onToggle(t)} />
      <label for={`c${t.id}`} class="sr">
        {t.completed ? 'Mark pending' : 'Complete'}: {t.title}
      </label>
      <div class="body">
        <Link href={`/tasks/${t.id}`} class="title">
          {t.title}
        </Link>
        <div class="meta">
          <span class={`prio ${t.priority}`}>{t.priority}</span>
          {t.due_date && <span class="due">{showDue(t.due_date, t.timezone)}</span>}
          {t.overdue && <span class="flag">overdue</span>}
          {t.recurrence && <span title={t.recurrence.rrule}>repeats</span>}
          {t.category && <span>@{t.category}</span>}
          {t.tags.map((g) => (
            <span key={g} class="tag">
              #{g}
            </span>
          ))}
        </div>
      </div>
      <button type="button" class="icon" aria-label={`Delete ${t.title}`} onClick={() => onDelete(t)}>
        Delete
      </button>
    </li>
  );
}

type Preview = { task: Record<string, unknown> | null; errors: { field: string; message: string }[]; question: string | null };

/** Quick add in everyday language, with a preview of what will be created. */
function QuickAdd() {
  const [text, setText] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const zone = browserZone();

  useEffect(() => {
    if (!text.trim()) return setPreview(null);
    let stale = false;
    const timer = setTimeout(async () => {
      try {
        const p = await api<Preview>('POST', '/tasks/preview', { text, timezone: zone });
        if (!stale) setPreview(p);
      } catch {
        if (!stale) setPreview(null);
      }
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError('');
    try {
      const p = await api<Preview>('POST', '/tasks/preview', { text, timezone: zone });
      if (!p.task) throw new Error(p.question ?? 'Say what to add.');
      const task = await api<Task>('POST', '/tasks', p.task);
      applyTask(task);
      toast(`Added "${task.title}"`);
      setText('');
      setPreview(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const t = preview?.task as Partial<Task> | undefined;
  return (
    <form class="quick" onSubmit={submit}>
      <label for="quick">Quick add</label>
      <div class="row">
        <input
          id="quick"
          name="quick"
          autocomplete="off"
          placeholder="pay rent every month on the 1st at 9am #home !high remind me 1 day before"
          aria-describedby="quick-preview"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || !text.trim()}>
          Add
        </button>
      </div>
      <div id="quick-preview" class="preview" aria-live="polite">
        {preview?.question && <span class="error">{preview.question}</span>}
        {t && (
          <>
            Will add <strong>{t.title || '(no title)'}</strong>
            {t.due_date && <> · due {showDue(t.due_date, (t.timezone as string) || zone)}</>}
            {t.priority && <> · {t.priority}</>}
            {t.category && <> · @{t.category}</>}
            {t.tags?.map((g) => ` #${g}`)}
            {t.recurrence && <> · repeats</>}
            {t.reminders?.length ? <> · {t.reminders.length} reminder(s)</> : null}
            {preview!.errors.map((e) => (
              <span key={e.field} class="error">
                {' '}
                {e.field}: {e.message}
              </span>
            ))}
          </>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
