/*
 * All instances of an environment, for filtering and sorting in the browser: the first page arrives with the
 * environment itself (so the table shows at once), the rest follows in large pages in the background. The API pages
 * with limit/offset (at most 10,000 a page); 2,500 keeps each answer around a megabyte.
 */
import { useEffect, useState } from 'react';
import { get } from '../../api/client';
import { apiPaths } from '../../api/paths';
import type { EnvironmentView, Instance } from '../../api/types';

const chunk = 2500;

export function useAllInstances(name: string, first: EnvironmentView | undefined): { instances: Instance[]; complete: boolean; error: unknown } {
  const [state, setState] = useState<{ instances: Instance[]; complete: boolean; error: unknown }>({ instances: [], complete: false, error: undefined });
  useEffect(() => {
    if (!first) return;
    const controller = new AbortController();
    let all = first.instances.slice();
    setState({ instances: all, complete: all.length >= first.total, error: undefined });
    (async () => {
      for (let offset = all.length; offset < first.total; offset += chunk) {
        const page = await get<EnvironmentView>(apiPaths.environment(name, { limit: chunk, offset }), controller.signal);
        all = all.concat(page.instances);
        if (page.instances.length === 0) break;
      }
      setState({ instances: all, complete: true, error: undefined });
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') setState({ instances: all, complete: false, error });
    });
    return () => controller.abort();
  }, [name, first]);
  return state;
}
