// The wagate API's JSON shapes (DESIGN.md §2–3). `tests/openapi.test.ts` checks the field names
// below against the OpenAPI document the API serves, so a rename on either side fails a test.

export const SESSION_STATUSES = [
  'pending',
  'starting',
  'qr_ready',
  'authenticating',
  'connected',
  'disconnected', // lost, being recovered automatically
  'logged_out', // the phone unlinked the device: a new QR is needed
  'qr_expired', // nobody scanned in time: "new code" restarts
  'failed', // see last_error
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

// Inbound: received → replying → replied | failed. Outbound: queued → sent | failed.
export const MESSAGE_STATUSES = ['received', 'replying', 'replied', 'queued', 'sent', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export type Direction = 'inbound' | 'outbound';

// What a message holds: text (`chat`), a file (image … sticker), a place or a contact card.
export const MESSAGE_TYPES = ['chat', 'image', 'ptt', 'audio', 'video', 'document', 'sticker', 'location', 'vcard'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The file a media message carries (fetched with GET /api/messages/{id}/media). */
export interface MessageMedia {
  mime: string;
  size: number;
  sha256: string;
  filename: string | null;
}

export interface MessageLocation {
  latitude: number;
  longitude: number;
  name: string | null;
  address: string | null;
}

export interface MessageContact {
  name: string | null;
  phones: string[];
  vcard: string;
}

/** GET /api/messages/{id}/media?redirect=false: a short-lived (presigned) URL of the file. */
export interface MediaLink {
  url: string;
  /** Seconds the URL stays valid. */
  expires_in: number;
  mime?: string;
  size?: number;
  filename?: string | null;
}

export interface Session {
  // Always present (required in the OpenAPI schema).
  id: string;
  session_id: string;
  chatbot_id: string;
  status: SessionStatus;
  created_at: string;
  updated_at: string;
  // Present when known; null or absent otherwise.
  phone_number?: string | null;
  push_name?: string | null;
  /** Base64 PNG without the `data:` prefix; present only while the code is valid. */
  qr_code?: string | null;
  qr_expires_at?: string | null;
  /** 8 characters, when linking by phone number instead of scanning. */
  pairing_code?: string | null;
  connected_at?: string | null;
  last_error?: string | null;
  /** Stable (`connection_lost`, `checkpoint_unreadable`, …): what went wrong, for code to act on. */
  last_error_code?: string | null;
}

export interface Message {
  // Always present (required in the OpenAPI schema).
  id: string;
  message_id: string;
  direction: Direction;
  status: MessageStatus;
  timestamp: string;
  // Present when known.
  /** Null once its session was deleted (the history is kept, detached). */
  session_id?: string | null;
  from_number?: string;
  to_number?: string;
  content?: string;
  /** WhatsApp delivery ack: 0 pending, 1 server, 2 device, 3 read. */
  ack?: number | null;
  reply_to?: string | null;
  error?: string | null;
  /** Stable (`chatbot_timeout`, `endpoint_not_allowed`, …). */
  error_code?: string | null;
  /** The chat as WhatsApp names it: `<lid>@lid` or `<phone>@c.us`. */
  chat_id?: string | null;
  customer_lid?: string | null;
  /** The customer's phone number when WhatsApp Web knows it (a LID customer may hide it). */
  customer_phone?: string | null;
  edited_at?: string | null;
  revoked_at?: string | null;
  // Media (an API from before media sends none of these: the message is then text).
  /** `chat` for text; an unknown type is shown as its text. */
  type?: MessageType | (string & {});
  /** The file of an image … sticker; null for text, or when the file could not be kept. */
  media?: MessageMedia | null;
  /** Why a media message has no file (too large, expired on WhatsApp's side, …). */
  media_error?: string | null;
  location?: MessageLocation | null;
  contact?: MessageContact | null;
}

/** A chatbot the user owns (the first to link it), and when its signing secret was made. */
export interface Chatbot {
  chatbot_id: string;
  created_at: string;
  /** Null until a secret was made (a session with an endpoint of its own, or a rotation). */
  signing_secret_created_at: string | null;
  /** While a rotation's overlap lasts, the previous secret still verifies. */
  previous_secret_valid_until: string | null;
}

export interface ChatbotList {
  chatbots: Chatbot[];
}

/** A new signing secret, shown this once. */
export interface RotatedSecret {
  chatbot_id: string;
  signing_secret: string;
  rotated_at: string;
  previous_valid_until: string | null;
}

export interface CreateSessionBody {
  chatbot_id: string;
  /** E.164 digits without "+": link with a pairing code instead of a QR code. */
  phone_number?: string;
}

export interface DisconnectBody {
  session_id: string;
}

export interface SendMessageBody {
  session_id: string;
  to: string;
  text: string;
}

export interface SessionList {
  sessions: Session[];
}

export interface MessagePage {
  messages: Message[];
  next_cursor: string | null;
}

export interface SendMessageResult {
  message: Message;
}

// Webhooks: the user's own endpoints, each receiving the events it subscribes to, signed.

/** What an endpoint can subscribe to (`ping`, the test event, goes to any endpoint). */
export const WEBHOOK_EVENT_TYPES = [
  'session.status',
  'session.qr', // a QR code is ready, and until when; never the code itself
  'message.received',
  'message.replied',
  'message.sent',
  'message.ack',
  'message.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

// pending (due now or at next_attempt_at) → delivering → delivered | pending again | failed.
export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Webhook {
  // Always present (required in the OpenAPI schema).
  id: string;
  url: string;
  events: string[];
  /** One session's events arrive in the order they happened. */
  ordered: boolean;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  // Present when known; null otherwise.
  description?: string | null;
  /** Only this session's events (null: all of the user's). */
  session_id?: string | null;
  /** Only this chatbot's events. */
  chatbot_id?: string | null;
  /** Why it stopped ("disabled by its owner", or no success for 5 days). */
  disabled_reason?: string | null;
  disabled_at?: string | null;
  /** No delivery has succeeded since (it is disabled after 5 days of this). */
  failing_since?: string | null;
  secret_created_at?: string | null;
  /** While a rotation's overlap lasts, deliveries carry two signatures. */
  previous_secret_valid_until?: string | null;
  /** Only in the answers to a create and a rotation. */
  secret?: string;
}

/** A create's or a rotation's answer: the endpoint with its `whsec_…` secret, shown this once. */
export type WebhookWithSecret = Webhook & { secret: string };

export interface WebhookList {
  webhooks: Webhook[];
}

export interface CreateWebhookBody {
  url: string;
  events: WebhookEventType[];
  description?: string;
  /** Only this session's events (not with chatbot_id). */
  session_id?: string;
  /** Only this chatbot's events (not with session_id). */
  chatbot_id?: string;
  ordered?: boolean;
}

export interface UpdateWebhookBody {
  url?: string;
  events?: WebhookEventType[];
  description?: string | null;
  ordered?: boolean;
  /** false stops deliveries (they wait); true resumes them. */
  enabled?: boolean;
}

/** The test event queued by POST /api/webhooks/{id}/test. */
export interface WebhookTest {
  event_id: string;
  type: 'ping';
}

/** One attempt to deliver: what the endpoint answered, or why there was no answer. */
export interface WebhookAttempt {
  attempt: number;
  at: string;
  status_code?: number | null;
  latency_ms?: number | null;
  error?: string | null;
}

export interface WebhookDelivery {
  // Always present (required in the OpenAPI schema).
  id: string;
  /** `webhook-id`: the same on every attempt. */
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  created_at: string;
  /** The latest attempts, oldest first. */
  attempt_log: WebhookAttempt[];
  // Present when known.
  event_type?: string | null;
  event_created_at?: string | null;
  /** When pending: the next attempt. */
  next_attempt_at?: string | null;
  last_status_code?: number | null;
  last_error?: string | null;
  delivered_at?: string | null;
  failed_at?: string | null;
}

export interface WebhookDeliveryPage {
  deliveries: WebhookDelivery[];
  next_cursor: string | null;
}

// The operator's view (admins only: anyone else gets 404 on these routes).

/** Why a session is listed as stuck. */
export const STUCK_REASONS = ['opening_too_long', 'not_claimed', 'lease_expired'] as const;
export type StuckReason = (typeof STUCK_REASONS)[number];

/** SQS's approximate figures for a queue; null when the queue is gone or SQS did not answer. */
export interface QueueDepth {
  visible: number;
  in_flight: number;
  dead_letters: number | null;
}

export interface AdminRunner {
  runner_id: string;
  capacity: number;
  active_sessions: number;
  heartbeat_age_s: number | null;
  /** Its heartbeat is within the fleet's `heartbeat_window_s`. */
  alive: boolean;
  queue: QueueDepth | null;
  started_at?: string | null;
  heartbeat_at?: string | null;
  browser_restarts?: number;
}

/** What an operator sees of a session: ids, status, runner; never a number or a message. */
export interface AdminSession {
  id: string;
  user_id: string;
  chatbot_id: string;
  status: SessionStatus;
  status_since: string | null;
  runner_id: string | null;
  lease_expires_at?: string | null;
  last_error_code?: string | null;
  /** Only in `stuck_sessions`. */
  reason?: StuckReason | (string & {});
}

/** One hour's failures: session `last_error_code`s and message `error_code`s, with counts. */
export interface FailureHour {
  hour: string;
  sessions: Record<string, number>;
  messages: Record<string, number>;
}

/** GET /api/admin/fleet. */
export interface Fleet {
  generated_at: string;
  heartbeat_window_s: number;
  stuck_after_s?: number;
  runners: AdminRunner[];
  queues: { start?: QueueDepth | null };
  sessions: { by_status?: Record<string, number>; total?: number };
  stuck_sessions: AdminSession[];
  failures?: { since?: string; by_hour?: FailureHour[] };
}

export type AdminActionKind = 'restart' | 'release';

/** POST /api/admin/sessions/{id}/restart and /release. */
export interface AdminAction {
  session: AdminSession;
  action: AdminActionKind;
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** The figures of a period or of one bucket (GET /api/analytics). */
export interface AnalyticsFigures {
  conversations: number;
  new_customers: number;
  returning_customers: number;
  messages_in: number;
  messages_out: number;
  answered: number;
  failed: number;
  unanswered: number;
  replies_sent: number;
  replies_failed: number;
  replies_queued: number;
  /** An inbound message to its first sent reply; null percentiles without any reply. */
  reply_time_ms: { count: number; p50: number | null; p95: number | null };
  /** Failed messages (both directions) by error code (`unknown` without one). */
  failures: Record<string, number>;
  /** Messages other than text, by direction and type. */
  media: { inbound: Record<string, number>; outbound: Record<string, number> };
}

export type AnalyticsBucketSize = 'day' | 'hour';

/** GET /api/analytics. */
export interface Analytics {
  chatbot_id: string;
  session_id: string | null;
  from: string;
  to: string;
  bucket: AnalyticsBucketSize;
  tz: string;
  totals: AnalyticsFigures;
  buckets: (AnalyticsFigures & { start: string })[];
  /** Inbound messages by local hour (24), and by weekday (Monday first) and hour. */
  busiest_hours: { by_hour: number[]; by_weekday_hour: number[][] };
}

/** The period the analytics routes are asked about: ISO dates or times, `tz` an IANA zone. */
export interface AnalyticsQuery {
  chatbot_id: string;
  from: string;
  to: string;
  bucket: AnalyticsBucketSize;
  tz: string;
}
