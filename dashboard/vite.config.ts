/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The demo app is served from dashboard/dist by the local stack on :8080, which also serves a
// generated /config.js (the signed-in user's API URL and token). `public/config.js` is only the
// fallback for `vite dev`.
export default defineConfig({
  plugins: [react()],
  server: { port: 8080, strictPort: false },
  preview: { port: 8080 },
  build: { outDir: 'dist', sourcemap: true, target: 'es2022' },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['tests/setup.ts'],
    include: ['tests/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    testTimeout: 10_000,
  },
});
