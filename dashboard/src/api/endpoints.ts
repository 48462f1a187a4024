// Every endpoint the dashboard calls, with the fields it sends and reads. The client builds its
// requests from this table, and `tests/openapi.test.ts` checks it against the API's OpenAPI
// document, so the two cannot drift apart silently.

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A named schema of the API's OpenAPI document (`#/components/schemas/...`). */
export type SchemaName =
  | 'Session'
  | 'Message'
  | 'Chatbot'
  | 'RotatedSecret'
  | 'Webhook'
  | 'WebhookTest'
  | 'WebhookDelivery'
  | 'Fleet'
  | 'AdminRunner'
  | 'AdminSession'
  | 'AdminAction'
  | 'Analytics'
  | 'AnalyticsFigures';

/** A field of a JSON response: a schema, a list of one, a string, an integer, or a nullable string. */
export type FieldShape = { schema: SchemaName } | { list: SchemaName } | 'string' | 'integer' | 'string|null';

/** What a successful response holds. */
export type Returns =
  | { schema: SchemaName }
  | { fields: Readonly<Record<string, FieldShape>> }
  | { image: 'image/png' }
  | { csv: true }
  | { empty: true };

export interface Endpoint {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/sessions/{id}`. */
  path: string;
  /** Success status the client expects. */
  status: number;
  /** Query parameters the client may send. */
  query?: readonly string[];
  /** JSON body fields the client sends: always `required`, sometimes `optional`. */
  body?: { required: readonly string[]; optional?: readonly string[] };
  returns: Returns;
}

/** Session fields the dashboard relies on always being there (non-optional in `Session`). */
export const SESSION_REQUIRED = ['id', 'session_id', 'chatbot_id', 'status', 'created_at', 'updated_at'] as const;

/** Message fields the dashboard relies on always being there (non-optional in `Message`). */
export const MESSAGE_REQUIRED = ['id', 'message_id', 'direction', 'status', 'timestamp'] as const;

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
  'last_error_code',
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
  'error_code',
  'chat_id',
  'customer_phone',
  'edited_at',
  'revoked_at',
  'type',
  'media',
  'media_error',
  'location',
  'contact',
] as const;

/** Fields of a chatbot the dashboard reads (all always there). */
export const CHATBOT_FIELDS = ['chatbot_id', 'created_at', 'signing_secret_created_at', 'previous_secret_valid_until'] as const;

/** Fields of a rotation's answer (all always there). */
export const ROTATED_SECRET_FIELDS = ['chatbot_id', 'signing_secret', 'rotated_at', 'previous_valid_until'] as const;

/** Webhook fields the dashboard relies on always being there (non-optional in `Webhook`). */
export const WEBHOOK_REQUIRED = ['id', 'url', 'events', 'ordered', 'enabled', 'created_at', 'updated_at'] as const;

/** Fields of a webhook endpoint the dashboard reads (`secret` only in a create's or rotation's answer). */
export const WEBHOOK_FIELDS = [
  ...WEBHOOK_REQUIRED,
  'description',
  'session_id',
  'chatbot_id',
  'disabled_reason',
  'disabled_at',
  'failing_since',
  'secret_created_at',
  'previous_secret_valid_until',
  'secret',
] as const;

/** Fields of a test event's answer (all always there). */
export const WEBHOOK_TEST_FIELDS = ['event_id', 'type'] as const;

/** Delivery fields the dashboard relies on always being there (non-optional in `WebhookDelivery`). */
export const DELIVERY_REQUIRED = ['id', 'event_id', 'status', 'attempts', 'created_at', 'attempt_log'] as const;

/** Fields of a delivery the dashboard reads. */
export const DELIVERY_FIELDS = [
  ...DELIVERY_REQUIRED,
  'event_type',
  'event_created_at',
  'next_attempt_at',
  'last_status_code',
  'last_error',
  'delivered_at',
  'failed_at',
] as const;

/** Fields of one entry of a delivery's `attempt_log` the dashboard reads, and those always there. */
export const ATTEMPT_REQUIRED = ['attempt', 'at'] as const;
export const ATTEMPT_FIELDS = [...ATTEMPT_REQUIRED, 'status_code', 'latency_ms', 'error'] as const;

/** The fleet's fields the dashboard reads, and those always there. */
export const FLEET_REQUIRED = ['generated_at', 'heartbeat_window_s', 'runners', 'queues', 'sessions', 'stuck_sessions'] as const;
export const FLEET_FIELDS = [...FLEET_REQUIRED, 'stuck_after_s', 'failures'] as const;

/** A runner's fields the dashboard reads, and those always there. */
export const ADMIN_RUNNER_REQUIRED = ['runner_id', 'capacity', 'active_sessions', 'heartbeat_age_s', 'alive', 'queue'] as const;
export const ADMIN_RUNNER_FIELDS = [...ADMIN_RUNNER_REQUIRED, 'started_at', 'heartbeat_at', 'browser_restarts'] as const;

/** What an operator sees of a session, and what is always there. */
export const ADMIN_SESSION_REQUIRED = ['id', 'user_id', 'chatbot_id', 'status', 'status_since', 'runner_id'] as const;
export const ADMIN_SESSION_FIELDS = [...ADMIN_SESSION_REQUIRED, 'lease_expires_at', 'last_error_code', 'reason'] as const;

export const ADMIN_ACTION_FIELDS = ['session', 'action'] as const;

/** The analytics answer's fields the dashboard reads (all always there). */
export const ANALYTICS_FIELDS = ['from', 'to', 'bucket', 'tz', 'totals', 'buckets', 'busiest_hours'] as const;
export const ANALYTICS_FIGURES_FIELDS = [
  'conversations',
  'new_customers',
  'returning_customers',
  'messages_in',
  'messages_out',
  'answered',
  'failed',
  'unanswered',
  'reply_time_ms',
  'failures',
  'media',
] as const;

const ANALYTICS_QUERY = ['chatbot_id', 'from', 'to', 'bucket', 'tz'] as const;

export const ENDPOINTS = {
  createSession: {
    method: 'POST',
    path: '/api/sessions/create',
    status: 201,
    body: { required: ['chatbot_id'], optional: ['phone_number'] },
    returns: { schema: 'Session' },
  },
  listSessions: {
    method: 'GET',
    path: '/api/sessions',
    status: 200,
    returns: { fields: { sessions: { list: 'Session' } } },
  },
  getSession: { method: 'GET', path: '/api/sessions/{id}', status: 200, returns: { schema: 'Session' } },
  getQr: { method: 'GET', path: '/api/sessions/{id}/qr', status: 200, returns: { image: 'image/png' } },
  disconnect: {
    method: 'POST',
    path: '/api/sessions/disconnect',
    status: 202,
    body: { required: ['session_id'] },
    returns: { schema: 'Session' },
  },
  restart: { method: 'POST', path: '/api/sessions/{id}/restart', status: 202, returns: { schema: 'Session' } },
  deleteSession: { method: 'DELETE', path: '/api/sessions/{id}', status: 204, returns: { empty: true } },
  listMessages: {
    method: 'GET',
    path: '/api/sessions/{id}/messages',
    status: 200,
    query: ['limit', 'before'],
    returns: { fields: { messages: { list: 'Message' }, next_cursor: 'string|null' } },
  },
  sendMessage: {
    method: 'POST',
    path: '/api/messages/send',
    status: 202,
    body: { required: ['session_id', 'to', 'text'] },
    returns: { fields: { message: { schema: 'Message' } } },
  },
  getMessageMedia: {
    method: 'GET',
    path: '/api/messages/{id}/media',
    status: 200,
    // Always `redirect=false`: the JSON answer, since an <img src> cannot carry the bearer token.
    query: ['redirect'],
    returns: { fields: { url: 'string', expires_in: 'integer' } },
  },
  listChatbots: {
    method: 'GET',
    path: '/api/chatbots',
    status: 200,
    returns: { fields: { chatbots: { list: 'Chatbot' } } },
  },
  rotateSecret: {
    method: 'POST',
    path: '/api/chatbots/{chatbot_id}/rotate-secret',
    status: 200,
    returns: { schema: 'RotatedSecret' },
  },
  listWebhooks: {
    method: 'GET',
    path: '/api/webhooks',
    status: 200,
    returns: { fields: { webhooks: { list: 'Webhook' } } },
  },
  createWebhook: {
    method: 'POST',
    path: '/api/webhooks',
    status: 201,
    body: { required: ['url', 'events'], optional: ['description', 'session_id', 'chatbot_id', 'ordered'] },
    returns: { schema: 'Webhook' },
  },
  getWebhook: { method: 'GET', path: '/api/webhooks/{id}', status: 200, returns: { schema: 'Webhook' } },
  updateWebhook: {
    method: 'PATCH',
    path: '/api/webhooks/{id}',
    status: 200,
    body: { required: [], optional: ['url', 'events', 'description', 'ordered', 'enabled'] },
    returns: { schema: 'Webhook' },
  },
  deleteWebhook: { method: 'DELETE', path: '/api/webhooks/{id}', status: 204, returns: { empty: true } },
  rotateWebhookSecret: {
    method: 'POST',
    path: '/api/webhooks/{id}/rotate-secret',
    status: 200,
    returns: { schema: 'Webhook' },
  },
  testWebhook: { method: 'POST', path: '/api/webhooks/{id}/test', status: 202, returns: { schema: 'WebhookTest' } },
  listWebhookDeliveries: {
    method: 'GET',
    path: '/api/webhooks/{id}/deliveries',
    status: 200,
    query: ['limit', 'before'],
    returns: { fields: { deliveries: { list: 'WebhookDelivery' }, next_cursor: 'string|null' } },
  },
  retryWebhookDelivery: {
    method: 'POST',
    path: '/api/webhooks/{id}/deliveries/{delivery_id}/retry',
    status: 202,
    returns: { schema: 'WebhookDelivery' },
  },
  // The operator's routes: 404 to anyone but an admin, which is how the dashboard tells.
  adminFleet: { method: 'GET', path: '/api/admin/fleet', status: 200, returns: { schema: 'Fleet' } },
  adminRestartSession: {
    method: 'POST',
    path: '/api/admin/sessions/{id}/restart',
    status: 202,
    returns: { schema: 'AdminAction' },
  },
  adminReleaseSession: {
    method: 'POST',
    path: '/api/admin/sessions/{id}/release',
    status: 200,
    returns: { schema: 'AdminAction' },
  },
  // A business owner's figures over a period; `format=csv` answers the same figures as CSV.
  getAnalytics: {
    method: 'GET',
    path: '/api/analytics',
    status: 200,
    query: [...ANALYTICS_QUERY, 'format'],
    returns: { schema: 'Analytics' },
  },
  exportMessages: {
    method: 'GET',
    path: '/api/analytics/messages.csv',
    status: 200,
    query: ['chatbot_id', 'from', 'to', 'tz'],
    returns: { csv: true },
  },
} as const satisfies Record<string, Endpoint>;

/** For each schema, the fields the dashboard reads and those it relies on always being there. */
export const SCHEMA_FIELDS: Record<SchemaName, { reads: readonly string[]; required: readonly string[] }> = {
  Session: { reads: SESSION_FIELDS, required: SESSION_REQUIRED },
  Message: { reads: MESSAGE_FIELDS, required: MESSAGE_REQUIRED },
  Chatbot: { reads: CHATBOT_FIELDS, required: CHATBOT_FIELDS },
  RotatedSecret: { reads: ROTATED_SECRET_FIELDS, required: ROTATED_SECRET_FIELDS },
  Webhook: { reads: WEBHOOK_FIELDS, required: WEBHOOK_REQUIRED },
  WebhookTest: { reads: WEBHOOK_TEST_FIELDS, required: WEBHOOK_TEST_FIELDS },
  WebhookDelivery: { reads: DELIVERY_FIELDS, required: DELIVERY_REQUIRED },
  Fleet: { reads: FLEET_FIELDS, required: FLEET_REQUIRED },
  AdminRunner: { reads: ADMIN_RUNNER_FIELDS, required: ADMIN_RUNNER_REQUIRED },
  AdminSession: { reads: ADMIN_SESSION_FIELDS, required: ADMIN_SESSION_REQUIRED },
  AdminAction: { reads: ADMIN_ACTION_FIELDS, required: ADMIN_ACTION_FIELDS },
  Analytics: { reads: ANALYTICS_FIELDS, required: ANALYTICS_FIELDS },
  AnalyticsFigures: { reads: ANALYTICS_FIGURES_FIELDS, required: ANALYTICS_FIGURES_FIELDS },
};

export type EndpointName = keyof typeof ENDPOINTS;
