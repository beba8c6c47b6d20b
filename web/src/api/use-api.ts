/*
 * Reading an API address into a page: loading, the answer, or the error in words; `reload` after an action. A newer
 * address aborts the older request, so a fast filter change never shows a stale answer.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { get } from './client';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean; path: string | null }>(
    { data: undefined, error: undefined, loading: path !== null, path },
  );
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    if (path === null) {
      setState({ data: undefined, error: undefined, loading: false, path });
      return;
    }
    const controller = new AbortController();
    // Keep the previous answer while reloading the same address, so tables do not flicker after an action.
    setState((s) => ({ data: s.path === path ? s.data : undefined, error: undefined, loading: true, path }));
    get<T>(path, controller.signal).then(
      (data) => setState({ data, error: undefined, loading: false, path }),
      (error: unknown) => {
        if ((error as Error).name !== 'AbortError') setState({ data: undefined, error, loading: false, path });
      },
    );
    return () => controller.abort();
  }, [path, generation]);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Runs an action (POST, DELETE …) and keeps its error for the form that started it. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action(...args);
    } catch (e) {
      if (mounted.current) setError(e);
      return undefined;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, [action]);
  return { run, busy, error, clearError: () => setError(undefined) };
}
