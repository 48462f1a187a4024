import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { WebhookDelivery } from '../api/types';
import { mergeDeliveries } from '../webhooks';
import { usePolling, type PollResult } from './usePolling';

export const DELIVERIES_PAGE_SIZE = 20;

export interface WebhookDeliveries {
  /** Newest first. */
  deliveries: WebhookDelivery[];
  loaded: boolean;
  error: Error | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): Promise<void>;
  /** Deliver again now; the answer (pending again) replaces the delivery in the list. */
  retry(deliveryId: string): Promise<void>;
  /** Look again now (after sending a test event). */
  refresh(): void;
}

/**
 * One endpoint's deliveries, live: the newest page is polled every poll interval while `live`
 * and the page is visible, merged with the older pages the user loaded.
 */
export function useWebhookDeliveries(webhookId: string, live = true): WebhookDeliveries {
  const { client, pollIntervalMs } = useWagate();
  const [deliveries, setDeliveries] = useState<WebhookDelivery[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [stopped, setStopped] = useState(false);
  // The cursor of the oldest page loaded so far; undefined until the first page arrives.
  const [olderCursor, setOlderCursor] = useState<string | null | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const webhookRef = useRef(webhookId);
  webhookRef.current = webhookId;

  useEffect(() => {
    setDeliveries([]);
    setLoaded(false);
    setError(null);
    setStopped(false);
    setOlderCursor(undefined);
  }, [webhookId]);

  const poll = useCallback(
    async (signal: AbortSignal): Promise<PollResult> => {
      try {
        const page = await client.listWebhookDeliveries(webhookId, { limit: DELIVERIES_PAGE_SIZE }, { signal });
        if (webhookRef.current !== webhookId) return 'stop';
        setDeliveries((current) => mergeDeliveries(current, page.deliveries));
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
    [client, webhookId],
  );

  const refresh = usePolling(poll, pollIntervalMs, live && !stopped, webhookId);

  const loadMore = useCallback(async () => {
    if (!olderCursor) return;
    setLoadingMore(true);
    try {
      const page = await client.listWebhookDeliveries(webhookId, { limit: DELIVERIES_PAGE_SIZE, before: olderCursor });
      if (webhookRef.current !== webhookId) return;
      setDeliveries((current) => mergeDeliveries(current, page.deliveries));
      setOlderCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      if (caught instanceof Error) setError(caught);
    } finally {
      setLoadingMore(false);
    }
  }, [client, webhookId, olderCursor]);

  const retry = useCallback(
    async (deliveryId: string) => {
      const again = await client.retryWebhookDelivery(webhookId, deliveryId);
      setDeliveries((current) => mergeDeliveries(current, [again]));
      refresh();
    },
    [client, webhookId, refresh],
  );

  return { deliveries, loaded, error, hasMore: Boolean(olderCursor), loadingMore, loadMore, retry, refresh };
}
