// An in-memory stand-in for the wagate API at the network boundary: a `fetch` that answers the
// contract's routes (DESIGN.md §3) from a table of sessions and messages the test controls (and
// webhook endpoints: tests/fakeWebhooks.ts). The components under test run unchanged, with the
// real client, on top of it.

import type { Chatbot, Message, Session, SessionStatus } from '../src/api/types';
import { error, json, nextId } from './fakeHttp';
import { FakeAnalytics } from './fakeAnalytics';
import { FakeFleet } from './fakeFleet';
import { FakeWebhooks } from './fakeWebhooks';

export const API_URL = 'http://api.test';
export const TOKEN = 'test-access-token';
export const CHATBOT_ID = '7d5b2c1e-0000-4000-8000-00000000c0de';
/** Where the fake API's presigned media URLs point (never fetched: jsdom loads no media). */
export const FILES_URL = 'https://files.test';

/** A 1×1 PNG, base64: enough to be an image; each test QR gets its own text after it. */
const PNG_1x1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export function fakeQr(n: number): string {
  return `${PNG_1x1}#${n}`;
}

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  authorization: string | null;
}

type Failure = { method: string; path: RegExp; status: number; code: string; message: string; times: number };

export class FakeWagateApi {
  token = TOKEN;
  /** When true, every request rejects the way fetch does when the network is down. */
  offline = false;
  readonly sessions = new Map<string, Session>();
  readonly messages = new Map<string, Message[]>();
  /** The user's chatbots (a chatbot becomes theirs with its first session), and their secrets. */
  readonly chatbots = new Map<string, Chatbot>();
  readonly secrets = new Map<string, string>();
  /** The user's webhook endpoints and their deliveries. */
  readonly webhooks = new FakeWebhooks();
  /** The operator's routes (404 unless `admin.fleet` is set: the user is then an operator). */
  readonly admin = new FakeFleet();
  /** The chatbot's figures (tests/fakeAnalytics.ts). */
  readonly analytics = new FakeAnalytics();
  readonly calls: Call[] = [];
  /** Presigned media URLs handed out so far: each answer is a new one, as presigning gives. */
  mediaLinksIssued = 0;
  private failures: Failure[] = [];

  /** The `fetch` to install (vi.stubGlobal('fetch', api.fetch)). */
  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const url = new URL(String(input));
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const call: Call = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body,
      authorization: headers.get('Authorization'),
    };
    this.calls.push(call);
    if (this.offline) throw new TypeError('Failed to fetch');
    if (url.origin !== API_URL) return error(502, 'wrong_host', `unexpected host ${url.origin}`);
    if (call.authorization !== `Bearer ${this.token}`) return error(401, 'unauthorized', 'Missing or invalid token.');
    const failure = this.failures.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
    if (failure) {
      failure.times -= 1;
      return error(failure.status, failure.code, failure.message);
    }
    return this.route(call);
  };

  /** The next `times` requests matching method and path answer with this error. */
  failNext(method: string, path: RegExp, status: number, code: string, message: string, times = 1): void {
    this.failures.push({ method, path, status, code, message, times });
  }

  addSession(patch: Partial<Session> = {}): Session {
    const id = patch.id ?? nextId('sess');
    const now = new Date().toISOString();
    const session: Session = {
      id,
      session_id: `wa-${id}`,
      chatbot_id: CHATBOT_ID,
      status: 'pending',
      phone_number: null,
      push_name: null,
      qr_code: null,
      qr_expires_at: null,
      pairing_code: null,
      connected_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      ...patch,
    };
    this.sessions.set(id, session);
    if (!this.chatbots.has(session.chatbot_id)) {
      this.chatbots.set(session.chatbot_id, {
        chatbot_id: session.chatbot_id,
        created_at: now,
        signing_secret_created_at: null,
        previous_secret_valid_until: null,
      });
    }
    return session;
  }

  update(id: string, patch: Partial<Session>): Session {
    const session = this.sessions.get(id);
    if (!session) throw new Error(`no session ${id}`);
    const next = { ...session, ...patch, updated_at: new Date().toISOString() };
    this.sessions.set(id, next);
    return next;
  }

  /** The QR code a runner would store: valid for `ttlMs` from now. */
  showQr(id: string, n: number, ttlMs = 60_000): Session {
    return this.update(id, {
      status: 'qr_ready',
      qr_code: fakeQr(n),
      qr_expires_at: new Date(Date.now() + ttlMs).toISOString(),
    });
  }

  connect(id: string, phone = '15550001111', pushName = 'Acme Support'): Session {
    return this.update(id, {
      status: 'connected',
      qr_code: null,
      qr_expires_at: null,
      pairing_code: null,
      phone_number: phone,
      push_name: pushName,
      connected_at: new Date().toISOString(),
    });
  }

  /** The only session (fails if there is not exactly one). */
  only(): Session {
    const all = [...this.sessions.values()];
    if (all.length !== 1) throw new Error(`expected one session, have ${all.length}`);
    return all[0];
  }

  addMessage(sessionId: string, patch: Partial<Message> = {}): Message {
    const id = patch.id ?? nextId('msg');
    const message: Message = {
      id,
      session_id: sessionId,
      message_id: `wamid.${id}`,
      direction: 'inbound',
      from_number: '4915112345678',
      to_number: '15550001111',
      content: 'Hello',
      status: 'received',
      ack: null,
      timestamp: new Date().toISOString(),
      reply_to: null,
      error: null,
      type: 'chat',
      media: null,
      media_error: null,
      location: null,
      contact: null,
      ...patch,
    };
    const list = this.messages.get(sessionId) ?? [];
    const at = list.findIndex((m) => m.id === id);
    if (at >= 0) list[at] = message;
    else list.push(message);
    this.messages.set(sessionId, list);
    return message;
  }

  callsTo(method: string, path: string | RegExp): Call[] {
    return this.calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)));
  }

  private route(call: Call): Response {
    const { method, path, body } = call;
    let match: RegExpMatchArray | null;
    if (method === 'POST' && path === '/api/sessions/create') {
      const b = body as { chatbot_id?: unknown; phone_number?: unknown } | undefined;
      if (typeof b?.chatbot_id !== 'string') return error(400, 'invalid_input', 'chatbot_id is required');
      if (b.phone_number !== undefined && !/^[1-9][0-9]{6,14}$/.test(String(b.phone_number))) {
        return error(400, 'invalid_phone_number', 'phone_number must be E.164 digits');
      }
      return json(201, this.addSession({ chatbot_id: b.chatbot_id }));
    }
    if (method === 'GET' && path === '/api/sessions') return json(200, { sessions: [...this.sessions.values()] });
    if (method === 'POST' && path === '/api/sessions/disconnect') {
      const id = (body as { session_id?: string } | undefined)?.session_id ?? '';
      const session = this.sessions.get(id);
      return session ? json(202, session) : notFound();
    }
    if ((match = path.match(/^\/api\/sessions\/([^/]+)$/))) {
      const id = decodeURIComponent(match[1]);
      const session = this.sessions.get(id);
      if (!session) return notFound();
      if (method === 'GET') return json(200, session);
      if (method === 'DELETE') {
        this.sessions.delete(id);
        this.messages.delete(id);
        return new Response(null, { status: 204 });
      }
    }
    if (method === 'POST' && (match = path.match(/^\/api\/sessions\/([^/]+)\/restart$/))) {
      const id = decodeURIComponent(match[1]);
      if (!this.sessions.has(id)) return notFound();
      return json(202, this.update(id, { status: 'pending' as SessionStatus, qr_code: null, qr_expires_at: null, pairing_code: null, last_error: null }));
    }
    if (method === 'GET' && (match = path.match(/^\/api\/sessions\/([^/]+)\/messages$/))) {
      const id = decodeURIComponent(match[1]);
      if (!this.sessions.has(id)) return notFound();
      const limit = Number(call.query.get('limit') ?? 50);
      const before = call.query.get('before');
      const all = [...(this.messages.get(id) ?? [])].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
      const start = before ? Number(before) : 0;
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? String(start + limit) : null;
      return json(200, { messages: page, next_cursor: next });
    }
    if (method === 'GET' && (match = path.match(/^\/api\/messages\/([^/]+)\/media$/))) {
      const id = decodeURIComponent(match[1]);
      const message = [...this.messages.values()].flat().find((m) => m.id === id);
      if (!message?.media) return error(404, 'message_not_found', 'No such message with media.');
      this.mediaLinksIssued += 1;
      const url = `${FILES_URL}/${encodeURIComponent(id)}?signature=${this.mediaLinksIssued}`;
      // Without redirect=false the API redirects to the file, which a page's fetch cannot use.
      if (call.query.get('redirect') !== 'false') return new Response(null, { status: 302, headers: { Location: url } });
      const { mime, size, filename } = message.media;
      return json(200, { url, expires_in: 900, mime, size, filename });
    }
    if (method === 'GET' && path === '/api/chatbots') return json(200, { chatbots: [...this.chatbots.values()] });
    if (method === 'POST' && (match = path.match(/^\/api\/chatbots\/([^/]+)\/rotate-secret$/))) {
      const chatbotId = decodeURIComponent(match[1]);
      const chatbot = this.chatbots.get(chatbotId);
      if (!chatbot) return error(404, 'chatbot_not_found', 'no such chatbot');
      const now = new Date();
      const hadOne = this.secrets.has(chatbotId);
      const secret = `whsec_${btoa(`secret-${nextId('s')}-of-32-bytes-here`)}`;
      this.secrets.set(chatbotId, secret);
      const previous = hadOne ? new Date(now.getTime() + 86_400_000).toISOString() : null;
      this.chatbots.set(chatbotId, { ...chatbot, signing_secret_created_at: now.toISOString(), previous_secret_valid_until: previous });
      return json(200, { chatbot_id: chatbotId, signing_secret: secret, rotated_at: now.toISOString(), previous_valid_until: previous });
    }
    return (
      this.webhooks.route(call) ??
      this.admin.route(call) ??
      this.analytics.route(call, CHATBOT_ID) ??
      error(404, 'route_not_found', `${method} ${path}`)
    );
  }
}

function notFound(): Response {
  return error(404, 'session_not_found', 'No such session.');
}
