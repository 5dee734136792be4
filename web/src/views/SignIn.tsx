import { useEffect, useState } from 'preact/hooks';
import { appConfig, devSignIn, signIn, signOutReason, type AppConfig } from '../session';

/** Sign-in: a name on a stack with dev sign-in, else a token from the identity provider. */
export function SignIn() {
  const [cfg, setCfg] = useState<AppConfig | null>(null);
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  useEffect(() => void appConfig().then(setCfg), []);

  const run = (f: () => Promise<unknown>) => async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      await f();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <main id="main" class="signin">
      <h1 tabIndex={-1}>Sign in</h1>
      {signOutReason.value && <p class="notice" role="alert">{signOutReason.value}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {cfg?.dev_sign_in && (
        <form onSubmit={run(() => devSignIn(name.trim()))} aria-labelledby="dev-h">
          <h2 id="dev-h">Local stack</h2>
          <p>This stack has dev sign-in on: any name signs in, no password.</p>
          <label for="dev-name">User name</label>
          <input id="dev-name" name="user" autocomplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit">Sign in</button>
        </form>
      )}
      <form onSubmit={run(async () => signIn(token.trim()))} aria-labelledby="tok-h">
        <h2 id="tok-h">With a token</h2>
        <p>Paste the access token (an HS256 JWT) your identity provider issued for this API.</p>
        <label for="token">Access token</label>
        <textarea id="token" rows={3} required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        <button type="submit">Use token</button>
      </form>
    </main>
  );
}
