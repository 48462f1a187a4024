// Fallback for `vite dev` only: the local stack (make up / make dev) serves the built app on
// :8080 with a generated /config.js holding a local test user's token. Nothing secret here.
window.__WAGATE__ = window.__WAGATE__ || {
  apiUrl: 'http://127.0.0.1:3001',
  accessToken: '', // empty: the page shows "No token: run make up"
  chatbotId: '00000000-0000-4000-8000-000000000001',
  userEmail: '',
};
