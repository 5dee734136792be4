import { useEffect, useState } from 'preact/hooks';
import { Link } from '../link';
import { addDays, localParts, monthGrid, moveDue, today, weekOf } from '../dates';
import { api } from '../session';
import { applyTask, onChange, resyncs, taskChanges, toast } from '../store';
import type { Calendar, CalendarItem, Task } from '../types';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function isOverdue(item: CalendarItem, now: number): boolean {
  if (item.completed || item.projected) return false;
  const end = item.due_date.length === 10 ? Date.parse(`${item.due_date}T23:59:59Z`) : Date.parse(item.due_date);
  return end < now;
}

/** Month and week views; drag a task to another day (or use its Move field) to reschedule it. */
export function CalendarView() {
  const [mode, setMode] = useState<'month' | 'week'>(matchMedia('(max-width: 600px)').matches ? 'week' : 'month');
  const [anchor, setAnchor] = useState(today());
  const [cal, setCal] = useState<Calendar | null>(null);
  const [error, setError] = useState('');
  const weeks = mode === 'month' ? monthGrid(anchor) : [weekOf(anchor)];
  const from = weeks[0][0];
  const to = weeks[weeks.length - 1][6];
  const now = Date.now();
  const t0 = today();

  const load = () =>
    api<Calendar>('GET', `/tasks/calendar?from=${from}&to=${to}`).then(
      (c) => {
        setCal(c);
        setError('');
      },
      (e) => setError((e as Error).message),
    );
  useEffect(() => void load(), [from, to]);
  // Live: refetch (debounced) when any task changes.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const again = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 150);
    };
    const a = onChange(taskChanges, again);
    const b = onChange(resyncs, again);
    return () => {
      a();
      b();
      clearTimeout(timer);
    };
  }, [from, to]);

  const byDay = new Map(cal?.days.map((d) => [d.date, d.items]) ?? []);

  const move = async (item: CalendarItem, toDay: string) => {
    if (item.projected) return;
    const due = moveDue(item.due_date, item.timezone, toDay);
    if (due === item.due_date) return;
    try {
      const task = await api<Task>('PATCH', `/tasks/${item.task_id}/due-date`, { due_date: due, timezone: item.timezone });
      applyTask(task);
      toast(`Moved "${item.title}" to ${toDay}`);
    } catch (e) {
      toast((e as Error).message, { kind: 'error' });
    }
  };

  const step = (n: number) => setAnchor(mode === 'month' ? `${addDays(`${anchor.slice(0, 7)}-15`, n * 30).slice(0, 7)}-01` : addDays(anchor, n * 7));
  const title =
    mode === 'month'
      ? new Date(`${anchor.slice(0, 7)}-15T12:00:00Z`).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' })
      : `Week of ${from}`;

  return (
    <section aria-labelledby="cal-h">
      <h1 id="cal-h" tabIndex={-1}>
        Calendar: {title}
      </h1>
      <div class="cal-bar">
        <button type="button" onClick={() => step(-1)}>
          Previous
        </button>
        <button type="button" onClick={() => setAnchor(today())}>
          Today
        </button>
        <button type="button" onClick={() => step(1)}>
          Next
        </button>
        <label>
          View
          <select value={mode} onChange={(e) => setMode(e.currentTarget.value as 'month' | 'week')}>
            <option value="month">Month</option>
            <option value="week">Week</option>
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table class={`cal ${mode}`}>
        <thead>
          <tr>
            {WEEKDAYS.map((d) => (
              <th key={d} scope="col">
                {d}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((w) => (
            <tr key={w[0]}>
              {w.map((d) => {
                const items = byDay.get(d) ?? [];
                const outside = mode === 'month' && d.slice(0, 7) !== anchor.slice(0, 7);
                return (
                  <td
                    key={d}
                    data-date={d}
                    class={`${d === t0 ? 'today' : ''}${outside ? ' outside' : ''}`}
                    aria-current={d === t0 ? 'date' : undefined}
                    onDragOver={(e) => e.preventDefault()}
                    onDrop={(e) => {
                      e.preventDefault();
                      const raw = e.dataTransfer?.getData('application/x-todo-item');
                      if (raw) void move(JSON.parse(raw), d);
                    }}
                  >
                    <div class="day">
                      {Number(d.slice(8))}
                      {d === t0 && <span class="sr"> (today)</span>}
                    </div>
                    <ul>
                      {items.map((it) => {
                        const over = isOverdue(it, now);
                        const time = it.due_date.length > 10 ? localParts(it.due_date, it.timezone).time : '';
                        return (
                          <li
                            key={`${it.task_id}-${it.due_date}-${it.projected}`}
                            class={`item ${it.priority}${it.projected ? ' projected' : ''}${over ? ' overdue' : ''}${it.completed ? ' done' : ''}`}
                            draggable={!it.projected}
                            data-task={it.task_id}
                            onDragStart={(e) => e.dataTransfer?.setData('application/x-todo-item', JSON.stringify(it))}
                          >
                            {it.projected ? (
                              <span>
                                {time} {it.title} <span class="sr">(projected occurrence)</span>
                                <span aria-hidden="true"> ↻</span>
                              </span>
                            ) : (
                              <Link href={`/tasks/${it.task_id}`}>
                                {time} {it.title}
                                {over && <span class="sr"> (overdue)</span>}
                              </Link>
                            )}
                          </li>
                        );
                      })}
                    </ul>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {cal?.truncated && <p>Some projected occurrences were left out; narrow the range.</p>}
      <p class="hint">Drag a task to another day to move it (its time of day stays); with a keyboard, open it and change its due date. ↻ marks projected occurrences of repeating tasks.</p>
    </section>
  );
}
