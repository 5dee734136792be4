// Who is signed in, per tab (sessionStorage: another tab may be someone
// else), and the one place every request goes through: the token is sent,
// problem+json becomes an ApiError with its field errors, and a 401 sends
// the person back to sign-in.

import { signal } from '@preact/signals';
import { tokenSecondsLeft, tokenSubject } from './state';

export type Session = { user: string; token: string };
export type AppConfig = { realtime_url: string | null; dev_sign_in: boolean };

const KEY = 'todo.session';

function load(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    if (s && (tokenSecondsLeft(s.token) ?? 1) > 0) return s;
  } catch {
    /* a broken entry is no session */
  }
  return null;
}

export const session = signal<Session | null>(load());
/** Why the person was sent back to sign-in, shown there. */
export const signOutReason = signal<string>('');

export function signIn(token: string): Session {
  const user = tokenSubject(token);
  if (!user) throw new Error('That is not a token this app can read: it needs a JWT with a sub claim.');
  const left = tokenSecondsLeft(token);
  if (left !== null && left <= 0) throw new Error('That token has expired: get a new one.');
  const s = { user, token };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  signOutReason.value = '';
  session.value = s;
  return s;
}

export function signOut(reason = ''): void {
  sessionStorage.removeItem(KEY);
  signOutReason.value = reason;
  session.value = null;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads a problem+json (or any) error reply. */
async function problem(r: Response): Promise<ApiError> {
  try {
    const p = await r.json();
    const fields: Record<string, string> = {};
    for (const e of p.errors ?? []) fields[e.field] = fields[e.field] ? `${fields[e.field]}; ${e.message}` : e.message;
    return new ApiError(r.status, p.detail || p.title || `HTTP ${r.status}`, fields);
  } catch {
    return new ApiError(r.status, `HTTP ${r.status}`);
  }
}

/** Calls `/api/{user}{path}`; JSON in and out. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const s = session.value;
  if (!s) throw new ApiError(401, 'not signed in');
  const r = await fetch(`/api/${encodeURIComponent(s.user)}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${s.token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) {
    const e = await problem(r);
    signOut(`Signed out: ${e.message}`);
    throw e;
  }
  if (!r.ok) throw await problem(r);
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

let config: Promise<AppConfig> | null = null;

/** `/app/config.json`, fetched once. */
export function appConfig(): Promise<AppConfig> {
  config ??= fetch('/app/config.json')
    .then((r) => (r.ok ? r.json() : { realtime_url: null, dev_sign_in: false }))
    .catch(() => ({ realtime_url: null, dev_sign_in: false }));
  return config;
}

/** `POST /app/dev-sign-in`: a token for a name, where the stack allows it. */
export async function devSignIn(user: string): Promise<Session> {
  const r = await fetch('/app/dev-sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  if (!r.ok) throw await problem(r);
  const { token } = await r.json();
  return signIn(token);
}
