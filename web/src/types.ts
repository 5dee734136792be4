// The API's shapes, as components/todo-api/openapi.json describes them.

export type Priority = 'low' | 'medium' | 'high' | 'urgent';
export const PRIORITIES: Priority[] = ['low', 'medium', 'high', 'urgent'];

export type Reminder = { id?: number; remind_at?: string; before_due?: string };

export type Recurrence = {
  frequency?: 'daily' | 'weekly' | 'monthly' | 'yearly';
  interval?: number;
  by_day?: string[];
  by_month_day?: number[];
  mode?: 'fixed_schedule' | 'after_completion';
  rrule?: string;
  count?: number;
  until?: string;
};

export type Task = {
  id: number;
  user_id: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: string | null;
  priority: Priority;
  tags: string[];
  category: string | null;
  parent_task_id: number | null;
  created_at: string;
  updated_at: string;
  due_date: string | null;
  timezone: string;
  reminders: Reminder[];
  recurrence: Recurrence | null;
  series_id: string | null;
  occurrence: number | null;
  version: number;
  overdue?: boolean;
};

export type TaskPage = { items: Task[]; next_cursor: string | null; total: number };

export type Notification = {
  id: string;
  task_id: number;
  reminder_id: number;
  title: string;
  remind_at: string;
  occurrence: number;
  delivered_at: string;
  late_ms: number;
  read: boolean;
};

export type CalendarItem = {
  task_id: number;
  title: string;
  due_date: string;
  timezone: string;
  priority: Priority;
  completed: boolean;
  projected: boolean;
};

export type Calendar = {
  from: string;
  to: string;
  days: { date: string; items: CalendarItem[] }[];
  truncated: boolean;
};

export type AuditEntry = {
  id: string;
  type: string;
  task_id: number | null;
  task_version?: number;
  occurred_at: string;
  recorded_at: string;
  changes?: Record<string, unknown>;
  title?: string;
};

/** A frame from the realtime WebSocket (runtime-shim/README.md). */
export type Frame =
  | { type: 'task.created' | 'task.updated' | 'task.completed' | 'task.deleted'; seq: number; task: Task; occurred_at?: string }
  | { type: 'notification'; notification: Notification; occurred_at?: string }
  | { type: 'resync' }
  | { type: 'pong' }
  | { type: 'error'; message: string };

export type TaskFrame = Extract<Frame, { seq: number }>;
