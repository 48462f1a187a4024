// What the dashboard shows for a chatbot's WhatsApp connection: a pure function from the newest
// session (and what the user just did) to a phase, a short label, and what to do next.

import type { Session, SessionStatus } from './api/types';
import { formatPhoneNumber, secondsUntil } from './format';

export type Phase =
  | 'none' // never connected
  | 'starting' // pending/starting, or a request in flight
  | 'stalled' // starting for too long: no runner picked it up
  | 'qr' // a valid QR code to scan
  | 'pairing' // a pairing code to type on the phone
  | 'expired' // the code ran out: "New code"
  | 'linking' // scanned, logging in
  | 'connected'
  | 'disconnecting' // the user asked to disconnect; waiting for the runner
  | 'not_connected' // disconnected on purpose (here or elsewhere): not linked any more
  | 'reconnecting' // the connection dropped (last_error says why); being recovered
  | 'logged_out' // the phone unlinked the device
  | 'failed';

export type Tone = 'neutral' | 'progress' | 'success' | 'warning' | 'danger';

export interface ConnectionView {
  phase: Phase;
  label: string;
  detail: string;
  tone: Tone;
}

/** How long a session may stay pending/starting before the dashboard says something is wrong. */
export const STALLED_AFTER_MS = 45_000;

export const TERMINAL_STATUSES: ReadonlySet<SessionStatus> = new Set(['logged_out', 'qr_expired', 'failed']);

/**
 * A session nothing is running for: it rests until someone restarts it. Besides the terminal
 * statuses that is `disconnected` without an error, which is what a user's Disconnect leaves
 * (a dropped connection being recovered says why in `last_error`).
 */
export function hasEnded(session: Session): boolean {
  return TERMINAL_STATUSES.has(session.status) || (session.status === 'disconnected' && !session.last_error);
}

export interface DescribeInput {
  session: Session | null;
  now: number;
  /** When the dashboard first saw the session's current status (for "stalled"). */
  statusSince?: number;
  /** The user clicked Disconnect on this page. */
  disconnectRequested?: boolean;
  /** A create/restart/pairing request is in flight. */
  starting?: boolean;
}

/** The QR code to show, or null: only while the status is qr_ready and it has not expired. */
export function visibleQr(session: Session | null, now: number): string | null {
  if (!session || session.status !== 'qr_ready' || !session.qr_code) return null;
  const left = secondsUntil(session.qr_expires_at, now);
  return left === null || left > 0 ? session.qr_code : null;
}

/** The pairing code to show, or null: like the QR code, never once expired. */
export function visiblePairingCode(session: Session | null, now: number): string | null {
  if (!session || session.status !== 'qr_ready' || !session.pairing_code) return null;
  const left = secondsUntil(session.qr_expires_at, now);
  return left === null || left > 0 ? session.pairing_code : null;
}

export function describeConnection(input: DescribeInput): ConnectionView {
  const { session, now } = input;
  if (input.starting) {
    return view('starting', 'Starting…', 'Opening WhatsApp Web for this chatbot. The code appears in a few seconds.', 'progress');
  }
  if (!session) {
    return view('none', 'Not connected', 'Connect WhatsApp so this chatbot answers your customers there.', 'neutral');
  }
  const number = formatPhoneNumber(session.phone_number);
  if (input.disconnectRequested && session.status === 'connected') {
    return view('disconnecting', 'Disconnecting…', 'Unlinking WhatsApp from this chatbot.', 'progress');
  }
  if (input.disconnectRequested || (session.status === 'disconnected' && !session.last_error)) {
    return view(
      'not_connected',
      'Not connected',
      'Disconnected: WhatsApp is no longer linked to this chatbot, which no longer answers there. Connect again whenever you like.',
      'neutral',
    );
  }
  switch (session.status) {
    case 'pending':
    case 'starting': {
      const since = input.statusSince ?? now;
      if (now - since >= STALLED_AFTER_MS) {
        return view(
          'stalled',
          'Still starting…',
          `No WhatsApp runner has started this session within ${STALLED_AFTER_MS / 1000} s: ` +
            'the service may be busy or down. Try again; if it keeps happening, contact your administrator.',
          'warning',
        );
      }
      return view('starting', 'Starting…', 'Opening WhatsApp Web for this chatbot. The code appears in a few seconds.', 'progress');
    }
    case 'qr_ready':
      if (visiblePairingCode(session, now)) {
        return view(
          'pairing',
          'Enter the pairing code',
          'On your phone open WhatsApp → Linked devices → Link a device → Link with phone number instead, then type this code.',
          'progress',
        );
      }
      if (visibleQr(session, now)) {
        return view(
          'qr',
          'Scan the QR code',
          'Scan this code with WhatsApp on your phone to link it to this chatbot.',
          'progress',
        );
      }
      if (session.qr_code || session.pairing_code) return expired();
      // qr_ready but the code is not stored yet: it is on its way.
      return view('starting', 'Starting…', 'The code is on its way.', 'progress');
    case 'qr_expired':
      return expired();
    case 'authenticating':
      if (session.last_error_code === 'passkey_required') {
        return view(
          'linking',
          'Confirm on your phone',
          'WhatsApp asks you to confirm this new device with your passkey: follow the steps on your phone, and keep ' +
            'WhatsApp open there until the link completes.',
          'warning',
        );
      }
      return view(
        'linking',
        'Finishing linking…',
        'Code accepted. The link is being saved so it survives restarts; keep WhatsApp open on your phone until it ' +
          'says connected.',
        'progress',
      );
    case 'connected':
      return view(
        'connected',
        'Connected',
        number ? `The chatbot answers messages sent to ${number}.` : 'The chatbot answers your WhatsApp messages.',
        'success',
      );
    case 'disconnected':
      return view(
        'reconnecting',
        'Reconnecting…',
        `The connection to WhatsApp was lost: ${session.last_error}. It is being restored automatically; make sure ` +
          'your phone is online, and if it is not back within a minute, click Reconnect.',
        'warning',
      );
    case 'logged_out':
      return view(
        'logged_out',
        'Logged out',
        'WhatsApp was unlinked from this chatbot (on the phone, under Linked devices). Connect again and scan a new code to resume.',
        'warning',
      );
    case 'failed':
      return view(
        'failed',
        'Connection failed',
        `The WhatsApp session stopped: ${session.last_error || 'unknown error'}. Try again; if it keeps failing, ` +
          'contact your administrator with this message.',
        'danger',
      );
    default:
      return view('failed', 'Unknown state', `The API reported an unknown status "${String(session.status)}".`, 'danger');
  }
}

function expired(): ConnectionView {
  return view('expired', 'Code expired', 'Nobody linked the phone in time. Get a new code to try again.', 'warning');
}

function view(phase: Phase, label: string, detail: string, tone: Tone): ConnectionView {
  return { phase, label, detail, tone };
}
