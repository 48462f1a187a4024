import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { Session } from '../api/types';
import { hasEnded } from '../connection';
import { usePolling, type PollResult } from './usePolling';

export type ConnectionAction = 'connect' | 'link_with_phone' | 'use_qr' | 'new_code' | 'reconnect' | 'disconnect';

export interface ChatbotConnection {
  chatbotId: string;
  /** The chatbot's newest session, null when it has none. */
  session: Session | null;
  /** The first look-up has finished. */
  loaded: boolean;
  /** The last poll's failure (cleared by the next success). */
  pollError: Error | null;
  /** The token was refused (401): polling stopped until the page is reloaded. */
  unauthorized: ApiError | null;
  /** The action in flight. */
  busy: ConnectionAction | null;
  /** The last action that failed, and why. */
  actionError: { action: ConnectionAction; error: Error } | null;
  /** The user clicked Disconnect here (until they connect again). */
  disconnectRequested: boolean;
  /** When this page first saw the session's current status (ms since the epoch). */
  statusSince: number;
  /** Create a session with a QR code, or restart the newest one if it has ended. */
  connect(): Promise<void>;
  /** Link by typing a code on the phone instead of scanning (phone: E.164 digits). */
  linkWithPhone(phoneNumber: string): Promise<void>;
  /** Back from the pairing code to a QR code. */
  useQrInstead(): Promise<void>;
  /** A fresh code after the last one expired (a restart). */
  newCode(): Promise<void>;
  /** Start the session again now (a restart: no new code if the phone is still linked). */
  reconnect(): Promise<void>;
  disconnect(): Promise<void>;
  clearActionError(): void;
}

/**
 * The live connection state of one chatbot: its newest session, polled while the page is visible,
 * and the actions the dashboard offers on it.
 */
export function useChatbotConnection(chatbotId: string, options: { live?: boolean } = {}): ChatbotConnection {
  const { client, pollIntervalMs } = useWagate();
  const [session, setSession] = useState<Session | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [pollError, setPollError] = useState<Error | null>(null);
  const [unauthorized, setUnauthorized] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<ConnectionAction | null>(null);
  const [actionError, setActionError] = useState<ChatbotConnection['actionError']>(null);
  const [disconnectRequested, setDisconnectRequested] = useState(false);
  const [statusSince, setStatusSince] = useState(() => Date.now());

  // A poll that started before an action finished must not overwrite the action's result.
  const generation = useRef(0);
  const sessionRef = useRef<Session | null>(null);
  const busyRef = useRef<ConnectionAction | null>(null);
  sessionRef.current = session;

  const statusKey = session ? `${session.id}:${session.status}` : '';
  useEffect(() => setStatusSince(Date.now()), [statusKey]);

  const apply = useCallback((next: Session | null) => {
    sessionRef.current = next;
    setSession(next);
  }, []);

  const poll = useCallback(
    async (signal: AbortSignal): Promise<PollResult> => {
      const started = generation.current;
      const current = sessionRef.current;
      try {
        let next: Session | null;
        if (current) {
          try {
            next = await client.getSession(current.id, { signal });
          } catch (error) {
            // Deleted elsewhere: fall back to the chatbot's newest session, if any.
            if (!(error instanceof ApiError && error.status === 404)) throw error;
            next = (await client.sessionsForChatbot(chatbotId, { signal }))[0] ?? null;
          }
        } else {
          next = (await client.sessionsForChatbot(chatbotId, { signal }))[0] ?? null;
        }
        if (generation.current !== started) return undefined;
        apply(next);
        setPollError(null);
        setLoaded(true);
        return undefined;
      } catch (error) {
        if (error instanceof ApiError && error.isUnauthorized) {
          setUnauthorized(error);
          setLoaded(true);
          return 'stop';
        }
        if (error instanceof Error && !isAbortError(error)) setPollError(error);
        throw error;
      }
    },
    [client, chatbotId, apply],
  );

  const pollNow = usePolling(poll, pollIntervalMs, (options.live ?? true) && unauthorized === null);

  const run = useCallback(
    async (action: ConnectionAction, body: () => Promise<Session | null>): Promise<boolean> => {
      if (busyRef.current) return false; // one action at a time (a double click restarts once)
      busyRef.current = action;
      setBusy(action);
      setActionError(null);
      generation.current += 1;
      try {
        const next = await body();
        generation.current += 1;
        apply(next);
        setLoaded(true);
        return true;
      } catch (error) {
        generation.current += 1;
        if (error instanceof ApiError && error.isUnauthorized) setUnauthorized(error);
        setActionError({ action, error: error instanceof Error ? error : new Error(String(error)) });
        return false;
      } finally {
        busyRef.current = null;
        setBusy(null);
        pollNow();
      }
    },
    [apply, pollNow],
  );

  /** Replace a session that never connected (it has no history worth keeping) with a new one. */
  const replaceWith = useCallback(
    async (phoneNumber?: string) => {
      const current = sessionRef.current;
      if (current && !current.connected_at && current.status !== 'connected') {
        try {
          await client.deleteSession(current.id);
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        }
      }
      return client.createSession(phoneNumber ? { chatbot_id: chatbotId, phone_number: phoneNumber } : { chatbot_id: chatbotId });
    },
    [client, chatbotId],
  );

  const connect = useCallback(async () => {
    const current = sessionRef.current;
    const ended = current && (hasEnded(current) || disconnectRequested);
    setDisconnectRequested(false);
    if (current && !ended) return; // already starting, waiting for a scan, or connected
    await run('connect', () =>
      current ? client.restart(current.id) : client.createSession({ chatbot_id: chatbotId }),
    );
  }, [client, chatbotId, disconnectRequested, run]);

  const linkWithPhone = useCallback(
    async (phoneNumber: string) => {
      setDisconnectRequested(false);
      await run('link_with_phone', () => replaceWith(phoneNumber));
    },
    [replaceWith, run],
  );

  const useQrInstead = useCallback(async () => {
    setDisconnectRequested(false);
    await run('use_qr', () => replaceWith());
  }, [replaceWith, run]);

  const restartAs = useCallback(
    async (action: 'new_code' | 'reconnect') => {
      const current = sessionRef.current;
      setDisconnectRequested(false);
      await run(action, () => (current ? client.restart(current.id) : client.createSession({ chatbot_id: chatbotId })));
    },
    [client, chatbotId, run],
  );

  const disconnect = useCallback(async () => {
    const current = sessionRef.current;
    if (!current) return;
    setDisconnectRequested(true);
    const done = await run('disconnect', () => client.disconnect(current.id));
    if (!done) setDisconnectRequested(false);
  }, [client, run]);

  return {
    chatbotId,
    session,
    loaded,
    pollError,
    unauthorized,
    busy,
    actionError,
    disconnectRequested,
    statusSince,
    connect,
    linkWithPhone,
    useQrInstead,
    newCode: useCallback(() => restartAs('new_code'), [restartAs]),
    reconnect: useCallback(() => restartAs('reconnect'), [restartAs]),
    disconnect,
    clearActionError: useCallback(() => setActionError(null), []),
  };
}
