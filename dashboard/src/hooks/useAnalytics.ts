import { useEffect, useState } from 'react';
import { isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { Analytics, AnalyticsQuery } from '../api/types';

export interface AnalyticsState {
  analytics: Analytics | null;
  loading: boolean;
  error: Error | null;
}

/** The figures for `query`, asked for again whenever the period changes (the previous request aborted). */
export function useAnalytics(query: AnalyticsQuery | null): AnalyticsState {
  const { client } = useWagate();
  const [state, setState] = useState<AnalyticsState>({ analytics: null, loading: query !== null, error: null });
  const key = query ? JSON.stringify(query) : '';

  useEffect(() => {
    if (!query) return undefined;
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true, error: null }));
    client.getAnalytics(query, { signal: controller.signal }).then(
      (analytics) => setState({ analytics, loading: false, error: null }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        setState((previous) => ({ ...previous, loading: false, error: error instanceof Error ? error : new Error(String(error)) }));
      },
    );
    return () => controller.abort();
    // The query's contents, not its identity, decide when to ask again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key]);

  return state;
}
