import { describe, expect, it } from 'vitest';
import { addDays, localParts, monthGrid, moveDue, toLocalInput, weekOf } from './dates';
import { duration, fromForm, recurrenceForm, reminderRows, type Form } from './views/editorForm';

const form = (p: Partial<Form> = {}): Form => ({
  title: 'Pay rent',
  description: '',
  priority: 'high',
  tags: 'home, Bills ,',
  category: ' ',
  parent: '',
  dueKind: 'time',
  dueDate: '',
  dueTime: '2027-03-02T10:00',
  timezone: 'Europe/London',
  reminders: [
    { kind: 'before', amount: '1', unit: 'D', at: '' },
    { kind: 'at', amount: '', unit: 'M', at: '2027-03-01T18:30' },
  ],
  preset: 'FREQ=MONTHLY',
  rrule: '',
  interval: '2',
  mode: 'after_completion',
  version: 3,
  ...p,
});

describe('the editor body', () => {
  it('sends wall-clock times with the zone, and every field', () => {
    expect(fromForm(form())).toEqual({
      title: 'Pay rent',
      description: null,
      priority: 'high',
      tags: ['home', 'Bills'],
      category: null,
      parent_task_id: null,
      due_date: '2027-03-02T10:00',
      timezone: 'Europe/London',
      reminders: [{ before_due: 'P1D' }, { remind_at: '2027-03-01T18:30' }],
      recurrence: { rrule: 'FREQ=MONTHLY;INTERVAL=2', mode: 'after_completion' },
      version: 3,
    });
  });
  it('leaves what the API must judge to the API (a blank date, a bad parent, a custom rule)', () => {
    const body = fromForm(form({ dueKind: 'date', dueDate: '', parent: 'x1', preset: 'custom', rrule: 'FREQ=FORTNIGHTLY', version: null }));
    expect(body.due_date).toBe('');
    expect(body.parent_task_id).toBe('x1');
    expect(body.recurrence).toEqual({ rrule: 'FREQ=FORTNIGHTLY', mode: 'after_completion' });
    expect('version' in body).toBe(false);
    expect(fromForm(form({ dueKind: 'none', preset: '' }))).toMatchObject({ due_date: null, recurrence: null });
  });
  it('turns stored reminders and rules back into form rows', () => {
    expect(reminderRows([{ before_due: 'PT90M' }, { before_due: 'PT2H' }, { before_due: 'P2D' }, { remind_at: '2027-07-01T08:45:00+01:00' }], 'Europe/London')).toEqual([
      { kind: 'before', at: '', amount: '90', unit: 'M' },
      { kind: 'before', at: '', amount: '2', unit: 'H' },
      { kind: 'before', at: '', amount: '2', unit: 'D' },
      { kind: 'at', at: '2027-07-01T08:45', amount: '15', unit: 'M' },
    ]);
    expect(duration({ kind: 'before', at: '', amount: '15', unit: 'M' })).toBe('PT15M');
    expect(recurrenceForm({ rrule: 'FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TU,WE,TH,FR', mode: 'fixed_schedule' })).toEqual({
      preset: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
      rrule: 'FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TU,WE,TH,FR',
      interval: '3',
      mode: 'fixed_schedule',
    });
    expect(recurrenceForm({ rrule: 'FREQ=MONTHLY;BYDAY=3FR' }).preset).toBe('custom');
  });
});

describe('dates', () => {
  it('reads an instant as wall-clock time in a zone, across DST', () => {
    expect(localParts('2026-07-01T12:00:00Z', 'Europe/London')).toEqual({ date: '2026-07-01', time: '13:00' });
    expect(toLocalInput('2026-03-01T23:30:00-05:00', 'Europe/London')).toBe('2026-03-02T04:30');
  });
  it('keeps the wall-clock time when a task is dragged to another day', () => {
    // 09:00 in London in winter, moved into summer time: still 09:00 there.
    expect(moveDue('2026-03-20T09:00:00Z', 'Europe/London', '2026-04-02')).toBe('2026-04-02T09:00:00');
    expect(moveDue('2026-03-20', 'Europe/London', '2026-04-02')).toBe('2026-04-02');
  });
  it('builds Monday-first month and week grids', () => {
    const m = monthGrid('2026-03-17');
    expect(m[0][0]).toBe('2026-02-23');
    expect(m.flat()).toContain('2026-03-31');
    expect(m.every((w) => w.length === 7)).toBe(true);
    expect(m[m.length - 1][6] >= '2026-03-31').toBe(true);
    expect(weekOf('2026-03-04')).toEqual(['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08']);
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
  });
});
