// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { ApiError, NetworkError, WagateClient } from '../src/api/client';
import { API_URL, CHATBOT_ID, FakeWagateApi, TOKEN } from './fakeApi';

function client(api: FakeWagateApi, extra: Partial<ConstructorParameters<typeof WagateClient>[0]> = {}) {
  return new WagateClient({ apiUrl: `${API_URL}/`, accessToken: TOKEN, fetch: api.fetch, ...extra });
}

describe('WagateClient', () => {
  it('sends the bearer token, JSON bodies and the contract paths', async () => {
    const api = new FakeWagateApi();
    const c = client(api);
    const session = await c.createSession({ chatbot_id: CHATBOT_ID, phone_number: '15551234567' });
    await c.getSession(session.id);
    await c.restart(session.id);
    await c.disconnect(session.id);
    await c.listMessages(session.id, { limit: 20, before: 'cursor/1' });
    await c.deleteSession(session.id);
    expect(api.calls.map((call) => `${call.method} ${call.path}${call.query.size ? `?${call.query}` : ''}`)).toEqual([
      'POST /api/sessions/create',
      `GET /api/sessions/${session.id}`,
      `POST /api/sessions/${session.id}/restart`,
      'POST /api/sessions/disconnect',
      `GET /api/sessions/${session.id}/messages?limit=20&before=cursor%2F1`,
      `DELETE /api/sessions/${session.id}`,
    ]);
    expect(api.calls.every((call) => call.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(api.calls[0].body).toEqual({ chatbot_id: CHATBOT_ID, phone_number: '15551234567' });
    expect(api.calls[3].body).toEqual({ session_id: session.id });
  });

  it('calls the webhook routes with their methods, bodies and the deliveries cursor', async () => {
    const api = new FakeWagateApi();
    const c = client(api);
    const made = await c.createWebhook({ url: 'https://crm.example.com/in', events: ['message.received'], description: 'CRM' });
    expect(made.secret).toBe(api.webhooks.secrets.get(made.id));
    expect(await c.listWebhooks()).toEqual([expect.objectContaining({ id: made.id, url: 'https://crm.example.com/in' })]);
    await c.getWebhook(made.id);
    expect(await c.updateWebhook(made.id, { enabled: false })).toMatchObject({ enabled: false, disabled_reason: 'disabled by its owner' });
    const rotated = await c.rotateWebhookSecret(made.id);
    expect(rotated.secret).not.toBe(made.secret);
    expect(await c.testWebhook(made.id)).toMatchObject({ type: 'ping' });
    const page = await c.listWebhookDeliveries(made.id, { limit: 10, before: null });
    expect(page).toMatchObject({ deliveries: [{ event_type: 'ping', status: 'pending' }], next_cursor: null });
    const retry = await c.retryWebhookDelivery(made.id, page.deliveries[0].id).catch((e: unknown) => e);
    expect(retry).toMatchObject({ status: 409, code: 'delivery_in_progress' });
    await c.listWebhookDeliveries(made.id, { before: 'dlv/1' }).catch(() => undefined);
    await c.deleteWebhook(made.id);
    expect(api.calls.map((call) => `${call.method} ${call.path}${call.query.size ? `?${call.query}` : ''}`)).toEqual([
      'POST /api/webhooks',
      'GET /api/webhooks',
      `GET /api/webhooks/${made.id}`,
      `PATCH /api/webhooks/${made.id}`,
      `POST /api/webhooks/${made.id}/rotate-secret`,
      `POST /api/webhooks/${made.id}/test`,
      `GET /api/webhooks/${made.id}/deliveries?limit=10`,
      `POST /api/webhooks/${made.id}/deliveries/${page.deliveries[0].id}/retry`,
      `GET /api/webhooks/${made.id}/deliveries?limit=50&before=dlv%2F1`,
      `DELETE /api/webhooks/${made.id}`,
    ]);
    expect(api.calls[0].body).toEqual({ url: 'https://crm.example.com/in', events: ['message.received'], description: 'CRM' });
    expect(api.calls[3].body).toEqual({ enabled: false });
    expect(api.webhooks.endpoints.size).toBe(0);
  });

  it('asks for a PNG on the QR route and JSON elsewhere', async () => {
    const fetch = vi.fn(async () => new Response(new Uint8Array([137, 80, 78, 71]), { status: 200, headers: { 'Content-Type': 'image/png' } }));
    const c = new WagateClient({ apiUrl: API_URL, accessToken: TOKEN, fetch });
    const png = await c.getQrPng('a b');
    expect(png.size).toBe(4);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(`${API_URL}/api/sessions/a%20b/qr`);
    expect(new Headers(init.headers).get('Accept')).toBe('image/png');
  });

  it('lists only the chatbot’s sessions, newest first', async () => {
    const api = new FakeWagateApi();
    api.addSession({ id: 'old', created_at: '2026-01-01T00:00:00Z' });
    api.addSession({ id: 'other', chatbot_id: 'another-bot', created_at: '2026-03-01T00:00:00Z' });
    api.addSession({ id: 'new', created_at: '2026-02-01T00:00:00Z' });
    expect((await client(api).sessionsForChatbot(CHATBOT_ID)).map((s) => s.id)).toEqual(['new', 'old']);
  });

  it('turns error bodies into ApiError with the stable code', async () => {
    const api = new FakeWagateApi();
    const error = await client(api).getSession('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'session_not_found', message: 'No such session.' });

    const unauthorized = await client(api, { accessToken: 'nope' }).listSessions().catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized', isUnauthorized: true });
  });

  it('keeps the status line when an error is not JSON (a proxy page)', async () => {
    const fetch = async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    const error = await new WagateClient({ apiUrl: API_URL, accessToken: TOKEN, fetch }).listSessions().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ApiError', status: 502, code: 'http_502', message: 'Bad Gateway' });
  });

  it('reports a rejected fetch as NetworkError naming the API', async () => {
    const api = new FakeWagateApi();
    api.offline = true;
    const error = await client(api).listSessions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(`Cannot reach ${API_URL}.`);
  });

  it('gives up on a request with no answer after the timeout', async () => {
    const hang = (_: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    const error = await new WagateClient({ apiUrl: API_URL, accessToken: TOKEN, fetch: hang, timeoutMs: 20 })
      .listSessions()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/No answer from .* within 0.02 s/);
  });

  it('passes the caller’s abort through as an AbortError', async () => {
    const api = new FakeWagateApi();
    const controller = new AbortController();
    controller.abort();
    const error = await client(api).listSessions({ signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('talks to its own origin when apiUrl is empty', () => {
    const c = new WagateClient({ apiUrl: '', accessToken: TOKEN });
    expect(c.url('getSession', { id: 'x' })).toBe('/api/sessions/x');
    expect(() => c.url('getSession')).toThrow('missing path parameter id');
  });
});
