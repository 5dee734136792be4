// The task editor's form state and the API body it becomes: pure, so it
// is unit tested (editorForm.test.ts). What a person picks is a wall-clock
// time in the task's zone; it is sent as a local date-time with `timezone`.

import { toLocalInput } from '../dates';
import type { Priority, Recurrence, Reminder } from '../types';

export type ReminderRow = { kind: 'at' | 'before'; at: string; amount: string; unit: 'M' | 'H' | 'D' };

export type Form = {
  title: string;
  description: string;
  priority: Priority;
  tags: string;
  category: string;
  parent: string;
  dueKind: 'none' | 'date' | 'time';
  dueDate: string;
  dueTime: string;
  timezone: string;
  reminders: ReminderRow[];
  /** '' none, an RRULE preset, or 'custom'. */
  preset: string;
  rrule: string;
  interval: string;
  mode: 'fixed_schedule' | 'after_completion';
  version: number | null;
};

/** `PT15M`, `PT2H`, `P1D` from a row; the amount is sent as typed so the API judges it. */
export function duration(r: ReminderRow): string {
  const n = r.amount.trim();
  return r.unit === 'D' ? `P${n}D` : `PT${n}${r.unit}`;
}

/** A stored reminder as a form row, in the task's zone. */
export function reminderRows(list: Reminder[], zone: string): ReminderRow[] {
  return list.map((r) => {
    if (r.remind_at) return { kind: 'at', at: toLocalInput(r.remind_at, zone), amount: '15', unit: 'M' };
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(r.before_due ?? '');
    const minutes = m ? Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 15;
    if (minutes % 1440 === 0 && minutes) return { kind: 'before', at: '', amount: String(minutes / 1440), unit: 'D' };
    if (minutes % 60 === 0 && minutes) return { kind: 'before', at: '', amount: String(minutes / 60), unit: 'H' };
    return { kind: 'before', at: '', amount: String(minutes), unit: 'M' };
  });
}

/** A stored recurrence as the form's preset, interval and mode. */
export function recurrenceForm(r: Recurrence | null): Pick<Form, 'preset' | 'rrule' | 'interval' | 'mode'> {
  if (!r) return { preset: '', rrule: '', interval: '1', mode: 'fixed_schedule' };
  const rule = r.rrule ?? '';
  const interval = /INTERVAL=(\d+)/.exec(rule)?.[1] ?? '1';
  const bare = rule
    .split(';')
    .filter((p) => !p.startsWith('INTERVAL='))
    .join(';');
  const presets = ['FREQ=DAILY', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'FREQ=WEEKLY', 'FREQ=MONTHLY', 'FREQ=YEARLY'];
  const preset = presets.includes(bare) ? bare : 'custom';
  return { preset, rrule: rule, interval, mode: r.mode ?? 'fixed_schedule' };
}

/** The `POST`/`PUT` body of a form: every field, so a `PUT` replaces the task as shown. */
export function fromForm(f: Form): Record<string, unknown> {
  const due = f.dueKind === 'date' ? f.dueDate : f.dueKind === 'time' ? f.dueTime : null;
  let rrule: string | null = null;
  if (f.preset === 'custom') rrule = f.rrule.trim();
  else if (f.preset) rrule = f.interval.trim() && f.interval.trim() !== '1' ? `${f.preset};INTERVAL=${f.interval.trim()}` : f.preset;
  const body: Record<string, unknown> = {
    title: f.title,
    description: f.description || null,
    priority: f.priority,
    tags: f.tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    category: f.category.trim() || null,
    parent_task_id: f.parent.trim() ? (/^\d+$/.test(f.parent.trim()) ? Number(f.parent.trim()) : f.parent.trim()) : null,
    due_date: due,
    timezone: f.timezone.trim() || null,
    reminders: f.reminders.map((r) => (r.kind === 'at' ? { remind_at: r.at } : { before_due: duration(r) })),
    recurrence: rrule === null ? null : { rrule, mode: f.mode },
  };
  if (f.version !== null) body.version = f.version;
  return body;
}
