import { useCallback } from 'react';
import { useWagate } from '../api/context';
import type { Message } from '../api/types';
import { useLivePages, type FetchItemPage } from './useLivePages';

export const HISTORY_PAGE_SIZE = 50;

export interface MessageHistory {
  /** Newest first. */
  messages: Message[];
  loaded: boolean;
  error: Error | null;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder(): Promise<void>;
}

/** Newest first, by time and then id (the API's order), each message once. */
export function mergeMessages(current: readonly Message[], incoming: readonly Message[]): Message[] {
  const byId = new Map(current.map((message) => [message.id, message]));
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort(
    (a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/**
 * A session's messages, live: the newest page is polled every poll interval while the page is
 * visible (and `live`), merged with any older pages the user loaded.
 */
export function useMessageHistory(sessionId: string | null, live = true): MessageHistory {
  const { client } = useWagate();
  const fetchPage = useCallback<FetchItemPage<Message>>(
    async (id, page, options) => {
      const { messages, next_cursor } = await client.listMessages(id, page, options);
      return { items: messages, next_cursor };
    },
    [client],
  );
  // An empty id is no session either: nothing to load.
  const pages = useLivePages(sessionId || null, fetchPage, mergeMessages, HISTORY_PAGE_SIZE, live);

  return {
    messages: pages.items,
    loaded: pages.loaded,
    error: pages.error,
    hasOlder: pages.hasMore,
    loadingOlder: pages.loadingMore,
    loadOlder: pages.loadMore,
  };
}
