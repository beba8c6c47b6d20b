/* How a page says it is loading, that something failed (in the API's words, with the field), or that it is empty. */
import type { ReactNode } from 'react';
import { describeError } from '../api/client';

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const { message, field, code } = describeError(error);
  return (
    <div className="error" role="alert">
      <strong>{title ?? 'Tidewatch refused this'}:</strong> {message}
      {field ? <> <span className="error-field">(field <code>{field}</code>)</span></> : null}
      {code?.startsWith('TW_') ? <span className="error-code"> {code}</span> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="loading" role="status" aria-live="polite">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A page's three states in one: an error, loading, or the content once the answer is there. */
export function Loaded<T>({ what, state, children }: { what: string; state: { data: T | undefined; error: unknown; loading: boolean }; children: (data: T) => ReactNode }) {
  if (state.error !== undefined) return <ErrorMessage error={state.error} title={`Could not load ${what}`} />;
  if (state.data === undefined) return <Loading what={what} />;
  return <>{children(state.data)}</>;
}

/** A short confirmation after an action (role=status, read out by screen readers). */
export function Notice({ children }: { children: ReactNode }) {
  return <div className="notice" role="status">{children}</div>;
}
