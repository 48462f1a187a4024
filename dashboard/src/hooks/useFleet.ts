import { useCallback, useState } from 'react';
import { ApiError, isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { AdminAction, AdminActionKind, Fleet } from '../api/types';
import { usePolling, type PollResult } from './usePolling';

/** The fleet page refreshes this often while it is shown (heartbeats are every 5 s). */
export const FLEET_POLL_MS = 5000;

/**
 * Whether the signed-in user is an operator: the API answers the fleet to an admin and 404 to
 * anyone else (the admin routes do not even exist for them), so the first answer tells.
 */
export type FleetAccess = 'checking' | 'operator' | 'not_operator';

export interface FleetState {
  access: FleetAccess;
  fleet: Fleet | null;
  /** The last look-up's failure (cleared by the next success). */
  error: Error | null;
  /** Restart or release a session; rejects with the client's errors. The fleet is polled again after. */
  act(kind: AdminActionKind, sessionId: string): Promise<AdminAction>;
}

/**
 * Asks for the fleet once to learn whether the user is an operator, then again every
 * FLEET_POLL_MS while `watching` (the fleet page is shown and the browser tab visible).
 */
export function useFleet(watching: boolean, intervalMs: number = FLEET_POLL_MS): FleetState {
  const { client } = useWagate();
  const [access, setAccess] = useState<FleetAccess>('checking');
  const [fleet, setFleet] = useState<Fleet | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [stopped, setStopped] = useState(false);

  const poll = useCallback(
    async (signal: AbortSignal): Promise<PollResult> => {
      try {
        const next = await client.adminFleet({ signal });
        setFleet(next);
        setError(null);
        setAccess('operator');
        return undefined;
      } catch (caught) {
        if (isAbortError(caught)) throw caught;
        if (caught instanceof ApiError && caught.status === 404) {
          setAccess('not_operator');
          setStopped(true);
          return 'stop';
        }
        if (caught instanceof Error) setError(caught);
        if (caught instanceof ApiError && caught.isUnauthorized) {
          setStopped(true);
          return 'stop';
        }
        throw caught;
      }
    },
    [client],
  );
  const enabled = !stopped && (access === 'checking' || watching);
  const refresh = usePolling(poll, intervalMs, enabled);

  const act = useCallback(
    async (kind: AdminActionKind, sessionId: string) => {
      const done = await client.adminSessionAction(kind, sessionId);
      refresh();
      return done;
    },
    [client, refresh],
  );

  return { access, fleet, error, act };
}
