// Dates without the DOM: calendar grids, wall-clock times in a task's zone
// (what a form shows and sends back as a local date-time with `timezone`).

/** `YYYY-MM-DD` of a Date's UTC fields (grids are built on UTC-noon dates, so no DST edge moves a day). */
export const iso = (d: Date): string => d.toISOString().slice(0, 10);

/** A day as a Date at 12:00 UTC. */
export const day = (s: string): Date => new Date(`${s}T12:00:00Z`);

export const addDays = (s: string, n: number): string => iso(new Date(day(s).getTime() + n * 86400000));

/** Today in the browser's zone. */
export function today(now = new Date()): string {
  return localParts(now.toISOString(), browserZone()).date;
}

export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** The weeks (Monday first) covering the month of `anyDay`. */
export function monthGrid(anyDay: string): string[][] {
  const first = `${anyDay.slice(0, 7)}-01`;
  let start = first;
  while (day(start).getUTCDay() !== 1) start = addDays(start, -1);
  const weeks: string[][] = [];
  for (let d = start; weeks.length < 6; ) {
    const week = Array.from({ length: 7 }, (_, i) => addDays(d, i));
    weeks.push(week);
    d = addDays(d, 7);
    if (d.slice(0, 7) !== first.slice(0, 7) && d > first) break;
  }
  return weeks;
}

/** The Monday-first week holding `anyDay`. */
export function weekOf(anyDay: string): string[] {
  let start = anyDay;
  while (day(start).getUTCDay() !== 1) start = addDays(start, -1);
  return Array.from({ length: 7 }, (_, i) => addDays(start, i));
}

/** The wall-clock date and time (`HH:MM`) of an instant in an IANA zone. */
export function localParts(instant: string, zone: string): { date: string; time: string } {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/** What an `<input type=datetime-local>` shows for a due date in its zone. */
export function toLocalInput(due: string, zone: string): string {
  const { date, time } = localParts(due, zone);
  return `${date}T${time}`;
}

/** The same wall-clock time on another day: what dragging a task in the calendar sends. */
export function moveDue(due: string, zone: string, toDay: string): string {
  if (due.length === 10) return toDay;
  return `${toDay}T${localParts(due, zone).time}:00`;
}

/** A due date for a person: "Tue 3 Mar 2026, 09:00 (Europe/London)" or the date alone. */
export function showDue(due: string, zone: string): string {
  if (due.length === 10) {
    return day(due).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  }
  const d = new Date(due);
  const text = d.toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: zone,
  });
  return zone === browserZone() ? text : `${text} (${zone})`;
}

/** Every IANA zone the browser knows, for the zone picker. */
export function zones(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return all.includes('UTC') ? all : ['UTC', ...all];
}
