import { useCallback } from 'react';
import { useWagate } from '../api/context';
import type { WebhookDelivery } from '../api/types';
import { mergeDeliveries } from '../webhooks';
import { useLivePages, type FetchItemPage } from './useLivePages';

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
  const { client } = useWagate();
  const fetchPage = useCallback<FetchItemPage<WebhookDelivery>>(
    async (id, page, options) => {
      const { deliveries, next_cursor } = await client.listWebhookDeliveries(id, page, options);
      return { items: deliveries, next_cursor };
    },
    [client],
  );
  const pages = useLivePages(webhookId, fetchPage, mergeDeliveries, DELIVERIES_PAGE_SIZE, live);
  const { mergeItems, refresh } = pages;

  const retry = useCallback(
    async (deliveryId: string) => {
      const again = await client.retryWebhookDelivery(webhookId, deliveryId);
      mergeItems([again]);
      refresh();
    },
    [client, webhookId, mergeItems, refresh],
  );

  return {
    deliveries: pages.items,
    loaded: pages.loaded,
    error: pages.error,
    hasMore: pages.hasMore,
    loadingMore: pages.loadingMore,
    loadMore: pages.loadMore,
    retry,
    refresh,
  };
}
