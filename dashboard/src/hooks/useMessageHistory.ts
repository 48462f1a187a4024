import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { Message } from '../api/types';
import { usePolling, type PollResult } from './usePolling';

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
  const { client, pollIntervalMs } = useWagate();
  const [messages, setMessages] = useState<Message[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [stopped, setStopped] = useState(false);
  // The cursor of the oldest page loaded so far; undefined until the first page arrives.
  const [olderCursor, setOlderCursor] = useState<string | null | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const sessionRef = useRef(sessionId);
  sessionRef.current = sessionId;

  useEffect(() => {
    setMessages([]);
    setLoaded(false);
    setError(null);
    setStopped(false);
    setOlderCursor(undefined);
  }, [sessionId]);

  const poll = useCallback(
    async (signal: AbortSignal): Promise<PollResult> => {
      if (!sessionId) return 'stop';
      try {
        const page = await client.listMessages(sessionId, { limit: HISTORY_PAGE_SIZE }, { signal });
        if (sessionRef.current !== sessionId) return 'stop';
        setMessages((current) => mergeMessages(current, page.messages));
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
    [client, sessionId],
  );

  usePolling(poll, pollIntervalMs, live && sessionId !== null && !stopped, sessionId);

  const loadOlder = useCallback(async () => {
    if (!sessionId || !olderCursor) return;
    setLoadingOlder(true);
    try {
      const page = await client.listMessages(sessionId, { limit: HISTORY_PAGE_SIZE, before: olderCursor });
      if (sessionRef.current !== sessionId) return;
      setMessages((current) => mergeMessages(current, page.messages));
      setOlderCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      if (caught instanceof Error) setError(caught);
    } finally {
      setLoadingOlder(false);
    }
  }, [client, sessionId, olderCursor]);

  return { messages, loaded, error, hasOlder: Boolean(olderCursor), loadingOlder, loadOlder };
}
