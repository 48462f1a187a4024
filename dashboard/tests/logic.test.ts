// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { Session, SessionStatus } from '../src/api/types';
import { describeConnection, hasEnded, STALLED_AFTER_MS, visibleQr } from '../src/connection';
import { readConfig } from '../src/config';
import { formatCountdown, formatPairingCode, formatPhoneNumber, normalizePhoneNumber, secondsUntil } from '../src/format';
import { mergeMessages } from '../src/hooks/useMessageHistory';
import { MAX_POLL_DELAY_MS, nextPollDelay } from '../src/hooks/usePolling';
import type { Webhook, WebhookDelivery } from '../src/api/types';
import {
  canRetry,
  checkWebhookForm,
  describeAttempt,
  describeDelivery,
  describeLastAnswer,
  describeScope,
  describeWebhookState,
  mergeDeliveries,
} from '../src/webhooks';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function session(status: SessionStatus, patch: Partial<Session> = {}): Session {
  return {
    id: 's',
    session_id: 'wa-s',
    chatbot_id: 'c',
    status,
    created_at: '2026-11-25T11:00:00Z',
    updated_at: '2026-11-25T11:00:00Z',
    ...patch,
  };
}

describe('describeConnection: every status has its words and phase', () => {
  const inFuture = new Date(NOW + 30_000).toISOString();
  const cases: [Session | null, string, string][] = [
    [null, 'none', 'Not connected'],
    [session('pending'), 'starting', 'Starting…'],
    [session('starting'), 'starting', 'Starting…'],
    [session('qr_ready', { qr_code: 'png', qr_expires_at: inFuture }), 'qr', 'Scan the QR code'],
    [session('qr_ready', { pairing_code: 'ABCD1234', qr_expires_at: inFuture }), 'pairing', 'Enter the pairing code'],
    [session('qr_ready'), 'starting', 'Starting…'],
    [session('authenticating'), 'linking', 'Finishing linking…'],
    [session('connected', { phone_number: '15550001111' }), 'connected', 'Connected'],
    [session('disconnected', { last_error: 'conflict' }), 'reconnecting', 'Reconnecting…'],
    [session('disconnected'), 'not_connected', 'Not connected'],
    [session('logged_out'), 'logged_out', 'Logged out'],
    [session('qr_expired'), 'expired', 'Code expired'],
    [session('failed', { last_error: 'boom' }), 'failed', 'Connection failed'],
  ];
  it.each(cases)('%# %o → %s', (s, phase, label) => {
    const view = describeConnection({ session: s, now: NOW, statusSince: NOW });
    expect(view.phase).toBe(phase);
    expect(view.label).toBe(label);
    expect(view.detail.length).toBeGreaterThan(10);
  });

  it('says what to do next for the error states', () => {
    expect(describeConnection({ session: session('failed', { last_error: 'page crashed' }), now: NOW }).detail).toMatch(
      /page crashed.*Try again/,
    );
    expect(describeConnection({ session: session('logged_out'), now: NOW }).detail).toMatch(/scan a new code/);
    const passkey = describeConnection({ session: session('authenticating', { last_error_code: 'passkey_required' }), now: NOW });
    expect([passkey.label, passkey.tone]).toEqual(['Confirm on your phone', 'warning']);
    expect(passkey.detail).toMatch(/passkey/);
    expect(describeConnection({ session: session('disconnected', { last_error: 'x' }), now: NOW }).detail).toMatch(
      /click Reconnect/,
    );
  });

  it('names the connected number', () => {
    expect(describeConnection({ session: session('connected', { phone_number: '15550001111' }), now: NOW }).detail).toContain(
      '+15550001111',
    );
  });

  it('never shows an expired code, even if the row still says qr_ready', () => {
    const expired = session('qr_ready', { qr_code: 'png', qr_expires_at: new Date(NOW - 1).toISOString() });
    expect(visibleQr(expired, NOW)).toBeNull();
    expect(describeConnection({ session: expired, now: NOW }).phase).toBe('expired');
    expect(visibleQr(session('qr_ready', { qr_code: 'png', qr_expires_at: null }), NOW)).toBe('png');
  });

  it('calls a session stalled after a while in pending', () => {
    const s = session('pending');
    expect(describeConnection({ session: s, now: NOW, statusSince: NOW - STALLED_AFTER_MS + 1 }).phase).toBe('starting');
    expect(describeConnection({ session: s, now: NOW, statusSince: NOW - STALLED_AFTER_MS }).phase).toBe('stalled');
  });

  it('knows which sessions rest until restarted', () => {
    for (const status of ['logged_out', 'qr_expired', 'failed', 'disconnected'] as const) {
      expect(hasEnded(session(status))).toBe(true);
    }
    expect(hasEnded(session('disconnected', { last_error: 'conflict' }))).toBe(false);
    for (const status of ['pending', 'starting', 'qr_ready', 'authenticating', 'connected'] as const) {
      expect(hasEnded(session(status))).toBe(false);
    }
  });

  it('after the user disconnects: disconnecting, then not connected', () => {
    expect(describeConnection({ session: session('connected'), now: NOW, disconnectRequested: true }).phase).toBe('disconnecting');
    const after = describeConnection({ session: session('disconnected'), now: NOW, disconnectRequested: true });
    expect(after).toMatchObject({ phase: 'not_connected', label: 'Not connected' });
  });
});

describe('formatting', () => {
  it('normalizes phone numbers to E.164 digits', () => {
    expect(normalizePhoneNumber('+44 7700 900123')).toBe('447700900123');
    expect(normalizePhoneNumber('0049 (151) 123-45678')).toBe('4915112345678');
    expect(normalizePhoneNumber('15551234567')).toBe('15551234567');
    expect(normalizePhoneNumber('0151 1234567')).toBeNull();
    expect(normalizePhoneNumber('12345')).toBeNull();
    expect(normalizePhoneNumber('+1234567890123456')).toBeNull();
    expect(normalizePhoneNumber('+1 555 CALL NOW')).toBeNull();
  });

  it('formats numbers, pairing codes and countdowns', () => {
    expect(formatPhoneNumber('15550001111')).toBe('+15550001111');
    expect(formatPhoneNumber(null)).toBe('');
    expect(formatPairingCode('k7xq2m9p')).toBe('K7XQ-2M9P');
    expect(formatCountdown(65)).toBe('1:05');
    expect(formatCountdown(9)).toBe('0:09');
    expect(secondsUntil(new Date(NOW + 1500).toISOString(), NOW)).toBe(2);
    expect(secondsUntil(new Date(NOW - 1500).toISOString(), NOW)).toBe(0);
    expect(secondsUntil(null, NOW)).toBeNull();
  });

  it('reads the runtime config defensively', () => {
    expect(readConfig(undefined)).toEqual({ apiUrl: 'http://127.0.0.1:3001', accessToken: '', chatbotId: '', userEmail: '' });
    expect(readConfig({ apiUrl: '', accessToken: 't', chatbotId: 'c', userEmail: 'u@x' })).toEqual({
      apiUrl: '',
      accessToken: 't',
      chatbotId: 'c',
      userEmail: 'u@x',
    });
  });
});

describe('polling helpers', () => {
  it('backs off on failures, capped', () => {
    expect(nextPollDelay(1500, 0)).toBe(1500);
    expect(nextPollDelay(1500, 1)).toBe(3000);
    expect(nextPollDelay(1500, 3)).toBe(12_000);
    expect(nextPollDelay(1500, 10)).toBe(MAX_POLL_DELAY_MS);
  });

  it('merges pages newest first, each message once, keeping the latest copy', () => {
    const m = (id: string, t: number, status = 'queued') =>
      ({ id, message_id: id, direction: 'outbound', status, timestamp: new Date(NOW + t).toISOString() }) as never;
    const merged = mergeMessages([m('a', 0), m('b', 1000)], [m('b', 1000, 'sent'), m('c', 2000)]);
    expect(merged.map((x: { id: string }) => x.id)).toEqual(['c', 'b', 'a']);
    expect((merged[1] as { status: string }).status).toBe('sent');
  });
});

function webhook(patch: Partial<Webhook> = {}): Webhook {
  return {
    id: 'w',
    url: 'https://example.com/in',
    events: ['message.received'],
    ordered: true,
    enabled: true,
    created_at: '2026-11-25T11:00:00Z',
    updated_at: '2026-11-25T11:00:00Z',
    ...patch,
  };
}

function delivery(patch: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return { id: 'd', event_id: 'evt_1', status: 'pending', attempts: 0, created_at: '2026-11-25T11:00:00Z', attempt_log: [], ...patch };
}

describe('checkWebhookForm: the add form, before the API sees it', () => {
  it('wants a full http(s) address without credentials, an event, a short description', () => {
    expect(checkWebhookForm({ url: 'example.com/in', events: [], description: 'x'.repeat(501) })).toEqual({
      problems: {
        url: 'Enter the full address of your endpoint, starting with https://',
        events: 'Choose at least one event.',
        description: 'At most 500 characters.',
      },
    });
    expect(checkWebhookForm({ url: 'ftp://example.com/in', events: ['session.qr'], description: '' })).toHaveProperty('problems.url');
    expect(checkWebhookForm({ url: 'https://me:pw@example.com/', events: ['session.qr'], description: '' })).toEqual({
      problems: { url: expect.stringMatching(/user name and password/) },
    });
  });

  it('trims, orders the events as the API does and leaves an empty description out', () => {
    expect(
      checkWebhookForm({ url: ' http://127.0.0.1:8000/hook ', events: ['message.failed', 'session.status'], description: '  ' }),
    ).toEqual({ body: { url: 'http://127.0.0.1:8000/hook', events: ['session.status', 'message.failed'] } });
    expect(checkWebhookForm({ url: 'https://example.com', events: ['session.qr'], description: ' CRM ' })).toEqual({
      body: { url: 'https://example.com', events: ['session.qr'], description: 'CRM' },
    });
  });
});

describe('webhook endpoints and deliveries in words', () => {
  it('an endpoint is enabled, failing or disabled (and why)', () => {
    expect(describeWebhookState(webhook(), NOW)).toMatchObject({ label: 'Enabled', tone: 'success' });
    expect(describeWebhookState(webhook({ failing_since: '2026-11-25T10:00:00Z' }), NOW)).toMatchObject({
      label: 'Failing',
      tone: 'danger',
      detail: expect.stringMatching(/^No delivery has succeeded since .*5 days/),
    });
    const disabled = describeWebhookState(webhook({ enabled: false, disabled_reason: 'disabled by its owner' }), NOW);
    expect(disabled).toEqual({
      label: 'Disabled',
      tone: 'warning',
      detail: 'Disabled: disabled by its owner. New events wait until you enable it again.',
    });
    expect(describeScope(webhook())).toBe('All your WhatsApp sessions');
    expect(describeScope(webhook({ chatbot_id: 'c1' }))).toBe('Only chatbot c1');
    expect(describeScope(webhook({ session_id: 's1' }))).toBe('Only session s1');
  });

  it('a delivery: pending, retrying (and when), delivering, delivered, failed; Retry only once finished', () => {
    expect(describeDelivery(delivery(), NOW).label).toBe('Pending');
    const retrying = describeDelivery(delivery({ attempts: 2, next_attempt_at: '2026-11-25T12:05:00Z' }), NOW);
    expect(retrying).toMatchObject({ label: 'Retrying', tone: 'warning', detail: expect.stringMatching(/^Next attempt /) });
    // Waiting behind an earlier event of its session, or for its endpoint to be enabled: no time.
    expect(describeDelivery(delivery({ attempts: 2, next_attempt_at: null }), NOW).detail).toBe(
      'Waiting for an earlier event of its session, or for the endpoint to be enabled.',
    );
    expect(describeDelivery(delivery({ status: 'delivering', attempts: 1 }), NOW).label).toBe('Delivering…');
    expect(describeDelivery(delivery({ status: 'delivered', attempts: 1 }), NOW).tone).toBe('success');
    expect(describeDelivery(delivery({ status: 'failed', attempts: 1 }), NOW).detail).toBe('Gave up after 1 attempt. Retry sends it again.');
    expect(['pending', 'delivering', 'delivered', 'failed'].map((status) => canRetry(delivery({ status: status as WebhookDelivery['status'] })))).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it('answers and attempts', () => {
    expect(describeLastAnswer(delivery())).toBe('');
    expect(describeLastAnswer(delivery({ last_status_code: 502, last_error: 'bad gateway' }))).toBe('HTTP 502 · bad gateway');
    expect(describeAttempt({ attempt: 1, at: '2026-11-25T11:00:00Z', status_code: 200, latency_ms: 41 })).toBe('HTTP 200 in 41 ms');
    expect(describeAttempt({ attempt: 2, at: '2026-11-25T11:00:00Z', status_code: null, latency_ms: 10_000, error: 'timed out' })).toBe(
      'No answer after 10,000 ms · timed out',
    );
  });

  it('merges pages newest first, each delivery once, the newer copy winning', () => {
    const a = delivery({ id: 'a', created_at: '2026-11-25T11:00:00Z' });
    const b = delivery({ id: 'b', created_at: '2026-11-25T11:00:01Z' });
    const c = delivery({ id: 'c', created_at: '2026-11-25T11:00:01Z' });
    const merged = mergeDeliveries([a, b], [{ ...a, status: 'delivered' }, c]);
    expect(merged.map((d) => d.id)).toEqual(['c', 'b', 'a']);
    expect(merged[2].status).toBe('delivered');
  });
});
