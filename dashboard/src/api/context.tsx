import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { WagateClient, type ClientOptions } from './client';

export interface WagateSettings {
  client: WagateClient;
  /** How often the live views poll the API while visible. */
  pollIntervalMs: number;
}

const WagateContext = createContext<WagateSettings | null>(null);

export const DEFAULT_POLL_INTERVAL_MS = 1500;

export function WagateProvider(props: {
  options: ClientOptions;
  pollIntervalMs?: number;
  children: ReactNode;
}) {
  const { apiUrl, accessToken, fetch, timeoutMs } = props.options;
  const pollIntervalMs = props.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const value = useMemo(
    () => ({ client: new WagateClient({ apiUrl, accessToken, fetch, timeoutMs }), pollIntervalMs }),
    [apiUrl, accessToken, fetch, timeoutMs, pollIntervalMs],
  );
  return <WagateContext.Provider value={value}>{props.children}</WagateContext.Provider>;
}

export function useWagate(): WagateSettings {
  const value = useContext(WagateContext);
  if (!value) throw new Error('wrap the dashboard in <WagateProvider>');
  return value;
}
