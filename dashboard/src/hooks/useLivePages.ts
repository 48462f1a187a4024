import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbortError, type RequestOptions } from '../api/client';
import { useWagate } from '../api/context';
import { usePolling, type PollResult } from './usePolling';

/** One page of a list the API serves newest first; `next_cursor` is null on the oldest page. */
export interface ItemPage<T> {
  items: T[];
  next_cursor: string | null;
}

/** Fetches one page of `key`'s list: the newest (`before` absent) or the one before a cursor. */
export type FetchItemPage<T> = (
  key: string,
  page: { limit: number; before?: string | null },
  options?: RequestOptions,
) => Promise<ItemPage<T>>;

export interface LivePages<T> {
  /** In the order `merge` gives (newest first). */
  items: T[];
  loaded: boolean;
  error: Error | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): Promise<void>;
  /** Merges items the caller got some other way (e.g. the answer to an action). */
  mergeItems(incoming: readonly T[]): void;
  /** Looks again now. */
  refresh(): void;
}

/**
 * `key`'s list, live: the newest page is polled every poll interval while `live` and the page is
 * visible, merged with the older pages the user loaded. A new key starts over; a 401 or 404
 * stops polling. A null key loads nothing.
 *
 * `fetchPage` and `merge` should be stable (a `useCallback` or a module-level function): a new
 * one gives a new `loadMore`.
 */
export function useLivePages<T>(
  key: string | null,
  fetchPage: FetchItemPage<T>,
  merge: (current: readonly T[], incoming: readonly T[]) => T[],
  pageSize: number,
  live = true,
): LivePages<T> {
  const { pollIntervalMs } = useWagate();
  const [items, setItems] = useState<T[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [stopped, setStopped] = useState(false);
  // The cursor of the oldest page loaded so far; undefined until the first page arrives.
  const [olderCursor, setOlderCursor] = useState<string | null | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  // A page that arrives after the key changed belongs to the old key and is dropped.
  const keyRef = useRef(key);
  keyRef.current = key;

  useEffect(() => {
    setItems([]);
    setLoaded(false);
    setError(null);
    setStopped(false);
    setOlderCursor(undefined);
  }, [key]);

  const poll = useCallback(
    async (signal: AbortSignal): Promise<PollResult> => {
      if (key === null) return 'stop';
      try {
        const page = await fetchPage(key, { limit: pageSize }, { signal });
        if (keyRef.current !== key) return 'stop';
        setItems((current) => merge(current, page.items));
        setOlderCursor((cursor) => (cursor === undefined ? page.next_cursor : cursor));
        setError(null);
        setLoaded(true);
        return undefined;
      } catch (caught) {
        if (isAbortError(caught)) throw caught;
        if (caught instanceof ApiError && (caught.status === 401 || caught.status === 404)) {
          setError(caught);
          setLoaded(true);
          setStopped(true);
          return 'stop';
        }
        if (caught instanceof Error) setError(caught);
        throw caught;
      }
    },
    [fetchPage, merge, pageSize, key],
  );

  const refresh = usePolling(poll, pollIntervalMs, live && key !== null && !stopped, key);

  const loadMore = useCallback(async () => {
    if (key === null || !olderCursor) return;
    setLoadingMore(true);
    try {
      const page = await fetchPage(key, { limit: pageSize, before: olderCursor });
      if (keyRef.current !== key) return;
      setItems((current) => merge(current, page.items));
      setOlderCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      if (caught instanceof Error) setError(caught);
    } finally {
      setLoadingMore(false);
    }
  }, [fetchPage, merge, pageSize, key, olderCursor]);

  const mergeItems = useCallback(
    (incoming: readonly T[]) => setItems((current) => merge(current, incoming)),
    [merge],
  );

  return { items, loaded, error, hasMore: Boolean(olderCursor), loadingMore, loadMore, mergeItems, refresh };
}
