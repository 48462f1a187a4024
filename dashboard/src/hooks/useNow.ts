import { useEffect, useReducer } from 'react';

/**
 * The current time, with a re-render every `intervalMs` while `enabled` (for countdowns). It is
 * read at render time, so a render caused by anything else (a poll) is exact too.
 */
export function useNow(intervalMs = 1000, enabled = true): number {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!enabled) return undefined;
    const timer = setInterval(tick, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, enabled]);
  return Date.now();
}
