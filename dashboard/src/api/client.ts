// A small typed client for the wagate API. Authenticates with the app's Supabase session
// (`Authorization: Bearer <access_token>`) and turns every failure into one of two errors:
//
//   ApiError      the API answered with an error status ({"error": {"code", "message"}})
//   NetworkError  no answer at all: offline, DNS, CORS, the API down, or a timeout
//
// An aborted request (the caller's signal) rejects with the usual DOMException "AbortError".

import { ENDPOINTS, type Endpoint, type EndpointName } from './endpoints';
import type {
  AdminAction,
  AdminActionKind,
  Analytics,
  AnalyticsQuery,
  Chatbot,
  Fleet,
  ChatbotList,
  CreateSessionBody,
  RotatedSecret,
  MediaLink,
  Message,
  MessagePage,
  SendMessageBody,
  Session,
  SessionList,
  SendMessageResult,
  CreateWebhookBody,
  UpdateWebhookBody,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookList,
  WebhookTest,
  WebhookWithSecret,
} from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** An abort (DOMException "AbortError"), which is not an Error subclass everywhere. */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

export interface ClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3001`; empty for the page's own origin. */
  apiUrl: string;
  /** The signed-in user's Supabase access token. */
  accessToken: string;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** A request with no answer after this long fails with a NetworkError. */
  timeoutMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

type PathParams = Record<string, string>;

export class WagateClient {
  readonly apiUrl: string;
  private readonly accessToken: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.accessToken = options.accessToken;
    // Bound lazily so a test that stubs the global fetch after creating the client still works.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  createSession(body: CreateSessionBody, options?: RequestOptions): Promise<Session> {
    return this.json<Session>('createSession', {}, { ...options, body });
  }

  async listSessions(options?: RequestOptions): Promise<Session[]> {
    const list = await this.json<SessionList>('listSessions', {}, options);
    return list.sessions;
  }

  /** The user's sessions for one chatbot, newest first. */
  async sessionsForChatbot(chatbotId: string, options?: RequestOptions): Promise<Session[]> {
    const sessions = await this.listSessions(options);
    return sessions
      .filter((session) => session.chatbot_id === chatbotId)
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  }

  getSession(id: string, options?: RequestOptions): Promise<Session> {
    return this.json<Session>('getSession', { id }, options);
  }

  /** The current QR code as a PNG (404 `qr_not_available`, 410 `qr_expired`). */
  async getQrPng(id: string, options?: RequestOptions): Promise<Blob> {
    const response = await this.request('getQr', { id }, options);
    return response.blob();
  }

  disconnect(sessionId: string, options?: RequestOptions): Promise<Session> {
    return this.json<Session>('disconnect', {}, { ...options, body: { session_id: sessionId } });
  }

  restart(id: string, options?: RequestOptions): Promise<Session> {
    return this.json<Session>('restart', { id }, options);
  }

  async deleteSession(id: string, options?: RequestOptions): Promise<void> {
    await this.request('deleteSession', { id }, options);
  }

  listMessages(
    id: string,
    page: { limit?: number; before?: string | null } = {},
    options?: RequestOptions,
  ): Promise<MessagePage> {
    const query: Record<string, string> = { limit: String(page.limit ?? 50) };
    if (page.before) query.before = page.before;
    return this.json<MessagePage>('listMessages', { id }, { ...options, query });
  }

  async sendMessage(body: SendMessageBody, options?: RequestOptions): Promise<Message> {
    const result = await this.json<SendMessageResult>('sendMessage', {}, { ...options, body });
    return result.message;
  }

  /** A short-lived URL of a media message's file (404 `message_not_found` without one). */
  getMessageMedia(id: string, options?: RequestOptions): Promise<MediaLink> {
    return this.json<MediaLink>('getMessageMedia', { id }, { ...options, query: { redirect: 'false' } });
  }

  /** The chatbots the user owns (a chatbot is the first linker's). */
  async listChatbots(options?: RequestOptions): Promise<Chatbot[]> {
    const list = await this.json<ChatbotList>('listChatbots', {}, options);
    return list.chatbots;
  }

  /** A new signing secret for the chatbot's own endpoint, returned this once. */
  rotateChatbotSecret(chatbotId: string, options?: RequestOptions): Promise<RotatedSecret> {
    return this.json<RotatedSecret>('rotateSecret', { chatbot_id: chatbotId }, options);
  }

  /** The user's webhook endpoints, oldest first (never their secrets). */
  async listWebhooks(options?: RequestOptions): Promise<Webhook[]> {
    const list = await this.json<WebhookList>('listWebhooks', {}, options);
    return list.webhooks;
  }

  /** A new endpoint, with its signing secret: returned this once. */
  createWebhook(body: CreateWebhookBody, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.json<WebhookWithSecret>('createWebhook', {}, { ...options, body });
  }

  getWebhook(id: string, options?: RequestOptions): Promise<Webhook> {
    return this.json<Webhook>('getWebhook', { id }, options);
  }

  /** Change an endpoint's URL, events, description or order, or enable/disable it. */
  updateWebhook(id: string, body: UpdateWebhookBody, options?: RequestOptions): Promise<Webhook> {
    return this.json<Webhook>('updateWebhook', { id }, { ...options, body });
  }

  async deleteWebhook(id: string, options?: RequestOptions): Promise<void> {
    await this.request('deleteWebhook', { id }, options);
  }

  /** A new signing secret, returned this once; the previous one keeps signing for a while. */
  rotateWebhookSecret(id: string, options?: RequestOptions): Promise<WebhookWithSecret> {
    return this.json<WebhookWithSecret>('rotateWebhookSecret', { id }, options);
  }

  /** Queue a `ping` event to this endpoint (it shows up in its deliveries). */
  testWebhook(id: string, options?: RequestOptions): Promise<WebhookTest> {
    return this.json<WebhookTest>('testWebhook', { id }, options);
  }

  /** An endpoint's deliveries, newest first, each with its latest attempts. */
  listWebhookDeliveries(
    id: string,
    page: { limit?: number; before?: string | null } = {},
    options?: RequestOptions,
  ): Promise<WebhookDeliveryPage> {
    const query: Record<string, string> = { limit: String(page.limit ?? 50) };
    if (page.before) query.before = page.before;
    return this.json<WebhookDeliveryPage>('listWebhookDeliveries', { id }, { ...options, query });
  }

  /** Deliver again now (409 `delivery_in_progress` while it is still being attempted). */
  retryWebhookDelivery(id: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.json<WebhookDelivery>('retryWebhookDelivery', { id, delivery_id: deliveryId }, options);
  }

  /** The runners, queues and sessions of the whole fleet: operators only (404 to anyone else). */
  adminFleet(options?: RequestOptions): Promise<Fleet> {
    return this.json<Fleet>('adminFleet', {}, options);
  }

  /** An operator restarts or releases any user's session (409 when that cannot help). */
  adminSessionAction(kind: AdminActionKind, id: string, options?: RequestOptions): Promise<AdminAction> {
    const name = kind === 'restart' ? 'adminRestartSession' : 'adminReleaseSession';
    return this.json<AdminAction>(name, { id }, options);
  }

  /** A chatbot's figures over a period, per day or hour (400 `invalid_period`, `period_too_long`). */
  getAnalytics(query: AnalyticsQuery, options?: RequestOptions): Promise<Analytics> {
    return this.json<Analytics>('getAnalytics', {}, { ...options, query: { ...query } });
  }

  /** The same figures as CSV: a row per bucket and a `total` row. */
  async analyticsCsv(query: AnalyticsQuery, options?: RequestOptions): Promise<Blob> {
    const response = await this.request('getAnalytics', {}, { ...options, query: { ...query, format: 'csv' }, accept: 'text/csv' });
    return response.blob();
  }

  /** The period's messages as CSV, oldest first (a very long export stops at 5 MB). */
  async messagesCsv(query: AnalyticsQuery, options?: RequestOptions): Promise<Blob> {
    const { bucket: _bucket, ...period } = query;
    const response = await this.request('exportMessages', {}, { ...options, query: period, accept: 'text/csv' });
    return response.blob();
  }

  /** The URL of an endpoint, with its path parameters filled in. */
  url(name: EndpointName, params: PathParams = {}, query: Record<string, string> = {}): string {
    const endpoint: Endpoint = ENDPOINTS[name];
    const path = endpoint.path.replace(/\{(\w+)\}/g, (_, key: string) => {
      const value = params[key];
      if (value === undefined) throw new Error(`missing path parameter ${key} for ${name}`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams(query).toString();
    return `${this.apiUrl}${path}${search ? `?${search}` : ''}`;
  }

  private async json<T>(
    name: EndpointName,
    params: PathParams,
    options?: RequestOptions & { body?: object; query?: Record<string, string> },
  ): Promise<T> {
    const response = await this.request(name, params, options);
    try {
      return (await response.json()) as T;
    } catch (cause) {
      if (isAbortError(cause)) throw cause;
      throw new ApiError(response.status, 'invalid_response', 'The API sent a response that is not JSON.');
    }
  }

  private async request(
    name: EndpointName,
    params: PathParams,
    options: RequestOptions & { body?: object; query?: Record<string, string>; accept?: string } = {},
  ): Promise<Response> {
    const endpoint: Endpoint = ENDPOINTS[name];
    // The QR route answers 406 unless the caller accepts a PNG.
    const accept = options.accept ?? ('image' in endpoint.returns ? 'image/png' : 'csv' in endpoint.returns ? 'text/csv' : 'application/json');
    const headers: Record<string, string> = { Accept: accept };
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    if (options.body) headers['Content-Type'] = 'application/json';

    const { signal, cancel, timedOut } = withTimeout(options.signal, this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(name, params, options.query), {
        method: endpoint.method,
        headers,
        body: options.body ? JSON.stringify(options.body) : undefined,
        signal,
      });
    } catch (cause) {
      if (timedOut()) throw new NetworkError(`No answer from ${this.apiUrl || 'the API'} within ${this.timeoutMs / 1000} s.`, { cause });
      if (isAbortError(cause)) throw cause;
      throw new NetworkError(`Cannot reach ${this.apiUrl || 'the API'}.`, { cause });
    } finally {
      cancel();
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `The API answered ${response.status}.`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body?.error?.code === 'string') code = body.error.code;
    if (typeof body?.error?.message === 'string') message = body.error.message;
  } catch {
    // Not a JSON error body (a proxy's HTML page, say): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

/** The caller's signal combined with a timeout (AbortSignal.any is not everywhere yet). */
function withTimeout(outer: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  let expired = false;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException('timeout', 'AbortError'));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => expired,
    cancel: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
