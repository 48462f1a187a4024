import '@testing-library/jest-dom/vitest';
import { act, cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';
import { i18n } from '../src/i18n';

// Every test starts in English, with no language remembered and no missing key recorded.
beforeEach(async () => {
  if (typeof window !== 'undefined') {
    window.localStorage.clear();
    window.__wagateMissingKeys = [];
  }
  await i18n.changeLanguage('en');
});

afterEach(async () => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  // A test that switched the language leaves the next one in English.
  if (i18n.language !== 'en') await act(() => i18n.changeLanguage('en'));
});

// jsdom has no ResizeObserver, which the charts' ResponsiveContainer watches its box with.
if (typeof window !== 'undefined' && !('ResizeObserver' in window)) {
  class NoResizeObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  vi.stubGlobal('ResizeObserver', NoResizeObserver);
}
