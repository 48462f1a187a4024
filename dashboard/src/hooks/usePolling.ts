import { useCallback, useEffect, useRef } from 'react';
import { isAbortError } from '../api/client';

/** What a poll callback may return: `'stop'` ends polling (e.g. after a 401). */
export type PollResult = void | 'stop';

export const MAX_POLL_DELAY_MS = 15_000;

/** Delay before the next poll: the base interval, doubled per consecutive failure, capped. */
export function nextPollDelay(intervalMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  return Math.min(intervalMs * 2 ** failures, Math.max(intervalMs, MAX_POLL_DELAY_MS));
}

function pageVisible(): boolean {
  return typeof document === 'undefined' || document.visibilityState !== 'hidden';
}

/**
 * Calls `poll` now and then `intervalMs` after each call finishes (never two at once), while
 * `enabled` and the page is visible. Hiding the page aborts the call in flight and pauses;
 * showing it polls at once. Unmounting aborts and stops. A call that throws counts as a failure
 * and backs off. Returns `pollNow()`, which polls immediately (after an action).
 */
export function usePolling(
  poll: (signal: AbortSignal) => Promise<PollResult>,
  intervalMs: number,
  enabled = true,
  /** Polling restarts (at once) when this changes, e.g. a new session id. */
  restartKey: unknown = null,
): () => void {
  const pollRef = useRef(poll);
  pollRef.current = poll;
  const kickRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!enabled) return undefined;
    let stopped = false;
    let running = false;
    let again = false; // pollNow() while a call is running: poll once more right after
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;

    const schedule = (delay: number) => {
      clearTimeout(timer);
      timer = setTimeout(tick, delay);
    };

    async function tick() {
      timer = undefined;
      if (stopped || !pageVisible()) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      controller = new AbortController();
      let result: PollResult = undefined;
      try {
        result = await pollRef.current(controller.signal);
        failures = 0;
      } catch (error) {
        if (isAbortError(error)) {
          running = false;
          return;
        }
        failures += 1;
      }
      running = false;
      if (stopped || result === 'stop') {
        stopped = true;
        return;
      }
      if (!pageVisible()) return;
      if (again) {
        again = false;
        schedule(0);
      } else {
        schedule(nextPollDelay(intervalMs, failures));
      }
    }

    const onVisibilityChange = () => {
      if (stopped) return;
      if (pageVisible()) {
        schedule(0);
      } else {
        clearTimeout(timer);
        timer = undefined;
        controller?.abort();
      }
    };

    kickRef.current = () => {
      if (!stopped) schedule(0);
    };
    document.addEventListener('visibilitychange', onVisibilityChange);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
      kickRef.current = () => {};
      document.removeEventListener('visibilitychange', onVisibilityChange);
    };
  }, [enabled, intervalMs, restartKey]);

  return useCallback(() => kickRef.current(), []);
}
