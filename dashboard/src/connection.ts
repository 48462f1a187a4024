// What the dashboard shows for a chatbot's WhatsApp connection: a pure function from the newest
// session (and what the user just did) to a phase, a short label, and what to do next.

import type { Session, SessionStatus } from './api/types';
import { formatDuration, formatPhoneNumber, secondsUntil } from './format';
import { t } from './i18n';
import { codeText } from './i18n/codes';

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
  if (input.starting) return view('starting', t('connection.starting'), t('connection.startingDetail'), 'progress');
  if (!session) return view('none', t('connection.none'), t('connection.noneDetail'), 'neutral');
  const number = formatPhoneNumber(session.phone_number);
  if (input.disconnectRequested && session.status === 'connected') {
    return view('disconnecting', t('connection.disconnecting'), t('connection.disconnectingDetail'), 'progress');
  }
  if (input.disconnectRequested || (session.status === 'disconnected' && !session.last_error)) {
    return view('not_connected', t('connection.notConnected'), t('connection.notConnectedDetail'), 'neutral');
  }
  switch (session.status) {
    case 'pending':
    case 'starting': {
      const since = input.statusSince ?? now;
      if (now - since >= STALLED_AFTER_MS) {
        const duration = formatDuration(STALLED_AFTER_MS / 1000, 'second');
        return view('stalled', t('connection.stalled'), t('connection.stalledDetail', { duration }), 'warning');
      }
      return view('starting', t('connection.starting'), t('connection.startingDetail'), 'progress');
    }
    case 'qr_ready':
      if (visiblePairingCode(session, now)) {
        return view('pairing', t('connection.pairing'), t('connection.pairingDetail'), 'progress');
      }
      if (visibleQr(session, now)) return view('qr', t('connection.qr'), t('connection.qrDetail'), 'progress');
      if (session.qr_code || session.pairing_code) return expired();
      // qr_ready but the code is not stored yet: it is on its way.
      return view('starting', t('connection.starting'), t('connection.codeOnItsWay'), 'progress');
    case 'qr_expired':
      return expired();
    case 'authenticating':
      if (session.last_error_code === 'passkey_required') {
        return view('linking', t('connection.passkey'), t('connection.passkeyDetail'), 'warning');
      }
      return view('linking', t('connection.linking'), t('connection.linkingDetail'), 'progress');
    case 'connected':
      return view(
        'connected',
        t('connection.connected'),
        number ? t('connection.connectedDetail', { number }) : t('connection.connectedDetailNoNumber'),
        'success',
      );
    case 'disconnected':
      return view('reconnecting', t('connection.reconnecting'), t('connection.reconnectingDetail', { reason: lastError(session) }), 'warning');
    case 'logged_out':
      return view('logged_out', t('connection.loggedOut'), t('connection.loggedOutDetail'), 'warning');
    case 'failed':
      return view('failed', t('connection.failed'), t('connection.failedDetail', { reason: lastError(session) }), 'danger');
    default:
      return view('failed', t('connection.unknown'), t('connection.unknownDetail', { status: String(session.status) }), 'danger');
  }
}

/** Why the session stopped, in the user's language when its code is known. */
function lastError(session: Session): string {
  return codeText('sessionErrors', session.last_error_code, session.last_error || t('connection.unknownError'));
}

function expired(): ConnectionView {
  return view('expired', t('connection.expired'), t('connection.expiredDetail'), 'warning');
}

function view(phase: Phase, label: string, detail: string, tone: Tone): ConnectionView {
  return { phase, label, detail, tone };
}
