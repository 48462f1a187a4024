// Every endpoint the dashboard calls, with the fields it sends and reads. The client builds its
// requests from this table, and `tests/openapi.test.ts` checks it against the API's OpenAPI
// document, so the two cannot drift apart silently.

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface Endpoint {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/sessions/{id}`. */
  path: string;
  /** Success status the client expects. */
  status: number;
  /** Query parameters the client may send. */
  query?: readonly string[];
  /** JSON body fields the client sends (the first ones required). */
  body?: { required: readonly string[]; optional?: readonly string[] };
  /** Response content type (JSON unless said otherwise). */
  produces?: 'application/json' | 'image/png' | 'none';
  /** Top-level response fields the client reads. */
  reads?: readonly string[];
  /** A `$ref`-able schema the response nests (e.g. Session inside `sessions[]`). */
  nested?: Readonly<Record<string, 'Session' | 'Message'>>;
}

/** Fields of a session the dashboard reads. */
export const SESSION_FIELDS = [
  'id',
  'session_id',
  'chatbot_id',
  'status',
  'phone_number',
  'push_name',
  'qr_code',
  'qr_expires_at',
  'pairing_code',
  'connected_at',
  'last_error',
  'created_at',
  'updated_at',
] as const;

/** Fields of a message the dashboard reads. */
export const MESSAGE_FIELDS = [
  'id',
  'session_id',
  'message_id',
  'direction',
  'from_number',
  'to_number',
  'content',
  'status',
  'ack',
  'timestamp',
  'reply_to',
  'error',
] as const;

export const ENDPOINTS = {
  createSession: {
    method: 'POST',
    path: '/api/sessions/create',
    status: 201,
    body: { required: ['chatbot_id'], optional: ['phone_number'] },
    reads: SESSION_FIELDS,
  },
  listSessions: {
    method: 'GET',
    path: '/api/sessions',
    status: 200,
    reads: ['sessions'],
    nested: { sessions: 'Session' },
  },
  getSession: { method: 'GET', path: '/api/sessions/{id}', status: 200, reads: SESSION_FIELDS },
  getQr: { method: 'GET', path: '/api/sessions/{id}/qr', status: 200, produces: 'image/png' },
  disconnect: {
    method: 'POST',
    path: '/api/sessions/disconnect',
    status: 202,
    body: { required: ['session_id'] },
    reads: SESSION_FIELDS,
  },
  restart: { method: 'POST', path: '/api/sessions/{id}/restart', status: 202, reads: SESSION_FIELDS },
  deleteSession: { method: 'DELETE', path: '/api/sessions/{id}', status: 204, produces: 'none' },
  listMessages: {
    method: 'GET',
    path: '/api/sessions/{id}/messages',
    status: 200,
    query: ['limit', 'before'],
    reads: ['messages', 'next_cursor'],
    nested: { messages: 'Message' },
  },
  sendMessage: {
    method: 'POST',
    path: '/api/messages/send',
    status: 202,
    body: { required: ['session_id', 'to', 'text'] },
    reads: ['message'],
    nested: { message: 'Message' },
  },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;
