import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from '../link';
import { browserZone, toLocalInput, zones } from '../dates';
import { api, ApiError } from '../session';
import { applyTask, navigate, toast } from '../store';
import { PRIORITIES, type Priority, type Task } from '../types';
import { fromForm, reminderRows, recurrenceForm, type Form } from './editorForm';

const PRESETS: [string, string][] = [
  ['', 'Does not repeat'],
  ['FREQ=DAILY', 'Every day'],
  ['FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'Every weekday'],
  ['FREQ=WEEKLY', 'Every week'],
  ['FREQ=MONTHLY', 'Every month'],
  ['FREQ=YEARLY', 'Every year'],
  ['custom', 'Custom rule (RRULE)'],
];

function blank(): Form {
  return {
    title: '',
    description: '',
    priority: 'medium',
    tags: '',
    category: '',
    parent: '',
    dueKind: 'none',
    dueDate: '',
    dueTime: '',
    timezone: browserZone(),
    reminders: [],
    preset: '',
    rrule: '',
    interval: '1',
    mode: 'fixed_schedule',
    version: null,
  };
}

function toForm(t: Task): Form {
  const timed = !!t.due_date && t.due_date.length > 10;
  const rec = recurrenceForm(t.recurrence);
  return {
    title: t.title,
    description: t.description ?? '',
    priority: t.priority,
    tags: t.tags.join(', '),
    category: t.category ?? '',
    parent: t.parent_task_id ? String(t.parent_task_id) : '',
    dueKind: !t.due_date ? 'none' : timed ? 'time' : 'date',
    dueDate: t.due_date && !timed ? t.due_date : '',
    dueTime: t.due_date && timed ? toLocalInput(t.due_date, t.timezone) : '',
    timezone: t.timezone,
    reminders: reminderRows(t.reminders, t.timezone),
    ...rec,
    version: t.version,
  };
}

/** Where an API field error is shown: its own field, or the group it belongs to. */
function at(errors: Record<string, string>, ...names: string[]): string | undefined {
  const hit = Object.entries(errors).filter(([k]) => names.some((n) => k === n || k.startsWith(`${n}.`) || k.startsWith(`${n}[`)));
  return hit.length ? hit.map(([k, v]) => (names.includes(k) ? v : `${k}: ${v}`)).join('; ') : undefined;
}

function Err({ id, text }: { id: string; text?: string }) {
  return text ? (
    <span id={id} class="field-error">
      {text}
    </span>
  ) : null;
}

export function Editor({ id }: { id: number | null }) {
  const [form, setForm] = useState<Form | null>(id === null ? blank() : null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState('');
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (id === null) return setForm(blank());
    api<Task>('GET', `/tasks/${id}`).then(
      (t) => setForm(toForm(t)),
      (e) => setSummary((e as Error).message),
    );
  }, [id]);

  useEffect(() => {
    const first = formRef.current?.querySelector('[aria-invalid="true"]') as HTMLElement | null;
    first?.focus();
  }, [errors]);

  if (!form) {
    return (
      <section>
        <h1 tabIndex={-1}>Task</h1>
        <p role={summary ? 'alert' : 'status'}>{summary || 'Loading…'}</p>
      </section>
    );
  }
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const inv = (text?: string, eid?: string) => (text ? { 'aria-invalid': true as const, 'aria-describedby': eid } : {});

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setSummary('');
    try {
      const body = fromForm(form);
      const task = id === null ? await api<Task>('POST', '/tasks', body) : await api<Task>('PUT', `/tasks/${id}`, body);
      applyTask(task);
      toast(`Saved "${task.title}"`);
      navigate('/tasks');
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields);
        setSummary('Some fields need fixing; nothing was saved.');
      } else if (err instanceof ApiError && err.status === 412) {
        setSummary('Someone changed this task meanwhile: reload it to see their change, then edit again.');
      } else setSummary((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const del = async () => {
    if (id === null || !confirm('Delete this task?')) return;
    try {
      await api('DELETE', `/tasks/${id}`);
      toast('Deleted');
      navigate('/tasks');
    } catch (err) {
      setSummary((err as Error).message);
    }
  };

  const e = errors;
  const dueErr = at(e, 'due_date');
  const tzErr = at(e, 'timezone');
  const recErr = at(e, 'recurrence');
  const remErr = e['reminders'];
  const known = ['title', 'description', 'priority', 'tags', 'category', 'parent_task_id', 'due_date', 'timezone', 'reminders', 'recurrence', 'version'];
  const other = Object.entries(e).filter(([k]) => !known.some((n) => k === n || k.startsWith(`${n}.`) || k.startsWith(`${n}[`)));

  return (
    <section aria-labelledby="ed-h">
      <h1 id="ed-h" tabIndex={-1}>
        {id === null ? 'New task' : `Edit task ${id}`}
      </h1>
      {id !== null && (
        <p>
          <Link href={`/tasks/${id}/activity`}>Activity of this task</Link>
        </p>
      )}
      {summary && (
        <p class="error" role="alert">
          {summary}
          {other.map(([k, v]) => ` ${k}: ${v}`)}
        </p>
      )}
      <form ref={formRef} class="editor" onSubmit={save} noValidate>
        <label for="f-title">Title</label>
        <input id="f-title" name="title" value={form.title} onInput={(x) => set({ title: x.currentTarget.value })} {...inv(e.title, 'e-title')} />
        <Err id="e-title" text={e.title} />

        <label for="f-desc">Description</label>
        <textarea id="f-desc" name="description" rows={3} value={form.description} onInput={(x) => set({ description: x.currentTarget.value })} {...inv(e.description, 'e-desc')} />
        <Err id="e-desc" text={e.description} />

        <div class="cols">
          <div>
            <label for="f-prio">Priority</label>
            <select id="f-prio" name="priority" value={form.priority} onChange={(x) => set({ priority: x.currentTarget.value as Priority })} {...inv(e.priority, 'e-prio')}>
              {PRIORITIES.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
            <Err id="e-prio" text={e.priority} />
          </div>
          <div>
            <label for="f-cat">Category</label>
            <input id="f-cat" name="category" value={form.category} onInput={(x) => set({ category: x.currentTarget.value })} {...inv(e.category, 'e-cat')} />
            <Err id="e-cat" text={e.category} />
          </div>
          <div>
            <label for="f-parent">Parent task id (subtask of)</label>
            <input id="f-parent" name="parent" inputMode="numeric" value={form.parent} onInput={(x) => set({ parent: x.currentTarget.value })} {...inv(e.parent_task_id, 'e-parent')} />
            <Err id="e-parent" text={e.parent_task_id} />
          </div>
        </div>

        <label for="f-tags">Tags (comma separated)</label>
        <input id="f-tags" name="tags" value={form.tags} onInput={(x) => set({ tags: x.currentTarget.value })} {...inv(at(e, 'tags'), 'e-tags')} />
        <Err id="e-tags" text={at(e, 'tags')} />

        <fieldset>
          <legend>Due</legend>
          {(['none', 'date', 'time'] as const).map((k) => (
            <label key={k} class="inline">
              <input type="radio" name="dueKind" value={k} checked={form.dueKind === k} onChange={() => set({ dueKind: k })} />
              {k === 'none' ? 'No due date' : k === 'date' ? 'All day' : 'At a time'}
            </label>
          ))}
          {form.dueKind === 'date' && (
            <>
              <label for="f-due">Due date</label>
              <input id="f-due" type="date" name="due_date" value={form.dueDate} onInput={(x) => set({ dueDate: x.currentTarget.value })} {...inv(dueErr, 'e-due')} />
            </>
          )}
          {form.dueKind === 'time' && (
            <>
              <label for="f-due">Due date and time (wall clock in the time zone)</label>
              <input id="f-due" type="datetime-local" name="due_date" value={form.dueTime} onInput={(x) => set({ dueTime: x.currentTarget.value })} {...inv(dueErr, 'e-due')} />
            </>
          )}
          <Err id="e-due" text={dueErr} />
          <label for="f-tz">Time zone</label>
          <input id="f-tz" name="timezone" list="zones" value={form.timezone} onInput={(x) => set({ timezone: x.currentTarget.value })} {...inv(tzErr, 'e-tz')} />
          <datalist id="zones">
            {zones().map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <Err id="e-tz" text={tzErr} />
        </fieldset>

        <fieldset>
          <legend>Reminders</legend>
          {remErr && <Err id="e-rem" text={remErr} />}
          {form.reminders.map((r, i) => {
            const err = at(e, `reminders[${i}]`);
            const upd = (p: Partial<typeof r>) => set({ reminders: form.reminders.map((x, j) => (j === i ? { ...x, ...p } : x)) });
            return (
              <div class="reminder" key={i}>
                <label for={`r-kind-${i}`}>Reminder {i + 1}</label>
                <select id={`r-kind-${i}`} value={r.kind} onChange={(x) => upd({ kind: x.currentTarget.value as 'at' | 'before' })}>
                  <option value="before">Before the due time</option>
                  <option value="at">At a moment</option>
                </select>
                {r.kind === 'at' ? (
                  <>
                    <label for={`r-at-${i}`} class="sr">
                      Reminder {i + 1} moment (in the task's time zone)
                    </label>
                    <input id={`r-at-${i}`} type="datetime-local" value={r.at} onInput={(x) => upd({ at: x.currentTarget.value })} {...inv(err, `e-r${i}`)} />
                  </>
                ) : (
                  <>
                    <label for={`r-n-${i}`} class="sr">
                      Reminder {i + 1} amount
                    </label>
                    <input id={`r-n-${i}`} class="short" inputMode="numeric" value={r.amount} onInput={(x) => upd({ amount: x.currentTarget.value })} {...inv(err, `e-r${i}`)} />
                    <label for={`r-u-${i}`} class="sr">
                      Reminder {i + 1} unit
                    </label>
                    <select id={`r-u-${i}`} value={r.unit} onChange={(x) => upd({ unit: x.currentTarget.value as 'M' | 'H' | 'D' })}>
                      <option value="M">minutes before</option>
                      <option value="H">hours before</option>
                      <option value="D">days before</option>
                    </select>
                  </>
                )}
                <button type="button" aria-label={`Remove reminder ${i + 1}`} onClick={() => set({ reminders: form.reminders.filter((_, j) => j !== i) })}>
                  Remove
                </button>
                <Err id={`e-r${i}`} text={err} />
              </div>
            );
          })}
          <button type="button" onClick={() => set({ reminders: [...form.reminders, { kind: 'before', amount: '15', unit: 'M', at: '' }] })}>
            Add reminder
          </button>
          {form.reminders.some((r) => r.kind === 'before') && <p class="hint">Relative reminders of all-day tasks count back from 09:00 on the day.</p>}
        </fieldset>

        <fieldset>
          <legend>Repeat</legend>
          <label for="f-rep">Repeats</label>
          <select id="f-rep" name="preset" value={form.preset} onChange={(x) => set({ preset: x.currentTarget.value })} {...inv(recErr, 'e-rec')}>
            {PRESETS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
          {form.preset && form.preset !== 'custom' && (
            <>
              <label for="f-int">Every how many periods</label>
              <input id="f-int" class="short" inputMode="numeric" value={form.interval} onInput={(x) => set({ interval: x.currentTarget.value })} />
            </>
          )}
          {form.preset === 'custom' && (
            <>
              <label for="f-rrule">RRULE (FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT, UNTIL)</label>
              <input id="f-rrule" name="rrule" placeholder="FREQ=MONTHLY;BYDAY=3FR" value={form.rrule} onInput={(x) => set({ rrule: x.currentTarget.value })} {...inv(recErr, 'e-rec')} />
            </>
          )}
          {form.preset && (
            <>
              <label for="f-mode">Next one</label>
              <select id="f-mode" value={form.mode} onChange={(x) => set({ mode: x.currentTarget.value as Form['mode'] })}>
                <option value="fixed_schedule">On the schedule, from the due date</option>
                <option value="after_completion">One interval after completing</option>
              </select>
            </>
          )}
          <Err id="e-rec" text={recErr} />
        </fieldset>

        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button type="button" onClick={() => navigate('/tasks')}>
            Cancel
          </button>
          {id !== null && (
            <button type="button" class="danger" onClick={del}>
              Delete
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
