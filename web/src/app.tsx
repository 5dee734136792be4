// The shell: sign-in gate, navigation, offline banner, bell, toasts, and
// the live connection of the signed-in person.

import { useEffect } from 'preact/hooks';
import { Live, online, reminders } from './live';
import { Link } from './link';
import { session, signOut } from './session';
import { tokenSecondsLeft } from './state';
import { dismiss, navigate, onChange, path, toast, toasts, unread } from './store';
import { CalendarView } from './views/Calendar';
import { ChatPanel } from './views/Chat';
import { Editor } from './views/Editor';
import { Activity } from './views/Activity';
import { Notifications, refreshUnread } from './views/Notifications';
import { SignIn } from './views/SignIn';
import { TaskListView } from './views/TaskList';

const NAV = [
  ['/tasks', 'Tasks'],
  ['/calendar', 'Calendar'],
  ['/chat', 'Chat'],
] as const;

function useLive(token: string | undefined) {
  useEffect(() => {
    if (!token) return;
    const live = new Live(token);
    live.start();
    // Back to sign-in the moment the token expires, not at the next 401.
    const left = tokenSecondsLeft(token);
    const expiry = left === null ? undefined : setTimeout(() => signOut('Your sign-in expired: sign in again.'), left * 1000);
    void refreshUnread();
    return () => {
      live.stop();
      clearTimeout(expiry);
    };
  }, [token]);
}

// A reminder delivered over the WebSocket: a toast, and the system's
// notification when the person allowed it.
function useReminderAlerts() {
  useEffect(
    () =>
      onChange(reminders, (n) => {
        if (!n) return;
        unread.value++;
        toast(`Reminder: ${n.title}`, {
          kind: 'reminder',
          ms: 15000,
          action: { label: 'Open', run: () => navigate(`/tasks/${n.task_id}`) },
        });
        if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
          new Notification('Reminder', { body: n.title, tag: n.id });
        }
      }),
    [],
  );
}

export function App() {
  const s = session.value;
  useLive(s?.token);
  useReminderAlerts();
  const p = path.value;
  useEffect(() => {
    if (!s && p !== '/sign-in') navigate('/sign-in', true);
    if (s && (p === '/' || p === '/sign-in')) navigate('/tasks', true);
  }, [s, p]);
  useEffect(() => {
    const main = document.querySelector('main h1') as HTMLElement | null;
    main?.focus();
  }, [p]);

  if (!s) return <SignIn />;
  let view;
  let m: RegExpMatchArray | null;
  if ((m = p.match(/^\/tasks\/(\d+)\/activity$/))) view = <Activity id={Number(m[1])} />;
  else if ((m = p.match(/^\/tasks\/(\d+|new)$/))) view = <Editor id={m[1] === 'new' ? null : Number(m[1])} />;
  else if (p.startsWith('/calendar')) view = <CalendarView />;
  else if (p.startsWith('/chat')) view = <ChatPanel />;
  else if (p.startsWith('/notifications')) view = <Notifications />;
  else view = <TaskListView />;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} aria-current={p.startsWith(href) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div class="me">
          <Link href="/notifications" class="bell" aria-current={p === '/notifications' ? 'page' : undefined}>
            <span aria-hidden="true">◔</span> Notifications{unread.value > 0 ? <span class="badge"> {unread.value}<span class="sr"> unread</span></span> : null}
          </Link>
          <span class="who">{s.user}</span>
          <button type="button" onClick={() => signOut('')}>
            Sign out
          </button>
        </div>
      </header>
      {!online.value && (
        <div class="banner" role="status">
          Offline: changes from other devices will appear when the connection is back.
        </div>
      )}
      <main id="main">{view}</main>
      <div class="toasts" role="status" aria-live="polite">
        {toasts.value.map((t) => (
          <div key={t.id} class={`toast ${t.kind ?? 'info'}`} data-kind={t.kind ?? 'info'}>
            <span>{t.text}</span>
            {t.action && (
              <button
                type="button"
                onClick={() => {
                  t.action!.run();
                  dismiss(t.id);
                }}
              >
                {t.action.label}
              </button>
            )}
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </>
  );
}
