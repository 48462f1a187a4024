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

export interface ErrorBody {
  error: { code: string; message: string };
}
