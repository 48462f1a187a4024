// Renders the demo app against a FakeWagateApi installed as the global fetch, with fake timers
// that also move Date (so countdowns and polling can be stepped through).

import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vi } from 'vitest';
import { App } from '../src/App';
import { API_URL, CHATBOT_ID, FakeWagateApi, TOKEN } from './fakeApi';

export const POLL_MS = 1500;

export function startApp(options: { prepare?: (api: FakeWagateApi) => void; accessToken?: string } = {}) {
  vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  const api = new FakeWagateApi();
  options.prepare?.(api);
  vi.stubGlobal('fetch', api.fetch);
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  const view = render(
    <App
      config={{ apiUrl: API_URL, accessToken: options.accessToken ?? TOKEN, chatbotId: CHATBOT_ID, userEmail: 'owner@example.test' }}
      pollIntervalMs={POLL_MS}
    />,
  );
  return { api, user, ...view };
}

/**
 * Lets `ms` of (fake) time pass, running the timers and the promises they start. React renders
 * only when an act() scope ends, so time moves in small steps, as it would in a browser.
 */
export async function pass(ms: number, stepMs = 250): Promise<void> {
  let left = ms;
  do {
    const step = Math.min(left, stepMs);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(step);
    });
    left -= step;
  } while (left > 0);
}

/** One poll interval, plus the answers it brings. */
export function nextPoll(): Promise<void> {
  return pass(POLL_MS + 10);
}

export function dialog() {
  return screen.getByRole('dialog', { name: 'WhatsApp connection' });
}

export function inDialog() {
  return within(dialog());
}

export function settings() {
  return within(screen.getByRole('region', { name: 'WhatsApp' }));
}
