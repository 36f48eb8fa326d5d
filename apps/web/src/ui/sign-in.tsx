import { useState } from 'preact/hooks';
import type { AppConfig } from '../config.js';
import { devSignIn, type Session } from '../session.js';

export function SignIn(props: { config: AppConfig; problem: string | null; onSignedIn: (s: Session) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(props.problem);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await devSignIn(name.trim()));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>☕ CoffeeChat</h1>
      {props.config.devSignIn ? (
        <form onSubmit={submit} aria-describedby="dev-note">
          <label for="user-name">User name</label>
          <input
            id="user-name"
            name="user"
            autoComplete="username"
            required
            maxLength={128}
            pattern="\S+"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          <p id="dev-note" class="note">
            Development sign-in: any name gets a token signed with the development secret.
          </p>
        </form>
      ) : (
        <p>
          Open CoffeeChat from a link that carries your token: <code>?token=JWT</code> (and <code>&room=ROOM_ID</code>{' '}
          to go straight to a room).
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}
