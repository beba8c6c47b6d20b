/*
 * Signing in is pasting a token (ui.md): it is checked against the API, then kept in sessionStorage for this tab's
 * session only. The admin token is printed once by `tidewatch serve` on first start; others come from Tokens.
 */
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/feedback';
import { navigate } from '../router';
import { identify } from './identify';
import { keepSession } from './token-store';

export function SignInPage({ next, endedBecause }: { next: string | null; endedBecause: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!/^tw_[A-Za-z0-9_-]{32,200}$/.test(t)) {
      setError(new Error('A Tidewatch token starts with tw_ followed by at least 32 letters, digits, _ or -.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      keepSession(t, await identify(t));
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="signin">
      <h1>Sign in to Tidewatch</h1>
      {endedBecause ? <p className="notice" role="status">Signed out: {endedBecause}</p> : null}
      <form onSubmit={onSubmit} className="form" noValidate>
        <label htmlFor="token">API token</label>
        <input
          id="token" name="token" type="password" autoComplete="off" spellCheck={false} required
          placeholder="tw_…" value={token} onChange={(e) => setToken(e.target.value)} aria-describedby="token-help"
        />
        <p id="token-help" className="help">
          Paste a token: the admin token <code>tidewatch serve</code> printed on its first start, or one made with
          <code> tidewatch token create</code>. It is kept for this browser tab only and forgotten when the tab closes.
        </p>
        <ErrorMessage error={error} title="Could not sign in" />
        <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </div>
  );
}
