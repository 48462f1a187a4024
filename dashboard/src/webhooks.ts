// Pure: what the Webhooks section says about an endpoint, a delivery and an attempt, and the add
// form's checks. The components only render these.

import type { Tone } from './connection';
import {
  WEBHOOK_EVENT_TYPES,
  type CreateWebhookBody,
  type Webhook,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEventType,
} from './api/types';
import { formatTimestamp } from './format';

/** What each event type tells the endpoint, for the add form's checkboxes. */
export const EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  'session.status': 'A WhatsApp connection changed state (connected, disconnected, logged out…).',
  'session.qr': 'A QR code is ready to scan, and until when (never the code itself).',
  'message.received': 'A customer wrote to a connected number.',
  'message.replied': 'Your chatbot answered a customer.',
  'message.sent': 'A message left for WhatsApp.',
  'message.ack': 'WhatsApp delivered a message to the phone, or the customer read it.',
  'message.failed': 'A message could not be sent, with the reason.',
};

export const MAX_DESCRIPTION_LENGTH = 500;

export interface WebhookFormInput {
  url: string;
  events: readonly WebhookEventType[];
  description: string;
}

/** What is wrong with the add form, per field (empty when nothing is). */
export interface WebhookFormProblems {
  url?: string;
  events?: string;
  description?: string;
}

/**
 * The add form's input as the API wants it, or what to fix first. Only the shape is checked here;
 * whether the address may be called is the API's endpoint guard's to say (its reason is shown).
 */
export function checkWebhookForm(input: WebhookFormInput): { body: CreateWebhookBody } | { problems: WebhookFormProblems } {
  const problems: WebhookFormProblems = {};
  const url = input.url.trim();
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || !parsed.hostname) {
    problems.url = 'Enter the full address of your endpoint, starting with https://';
  } else if (parsed.username || parsed.password) {
    problems.url = 'Leave the user name and password out of the address: wagate signs every delivery instead.';
  }
  if (input.events.length === 0) problems.events = 'Choose at least one event.';
  const description = input.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    problems.description = `At most ${MAX_DESCRIPTION_LENGTH} characters.`;
  }
  if (Object.keys(problems).length > 0) return { problems };
  const events = WEBHOOK_EVENT_TYPES.filter((type) => input.events.includes(type)); // the API's order
  return { body: { url, events, ...(description ? { description } : {}) } };
}

export interface StateView {
  label: string;
  tone: Tone;
  detail: string;
}

/** An endpoint's state: enabled, failing (no success for a while) or disabled, and why. */
export function describeWebhookState(webhook: Webhook, now: number = Date.now()): StateView {
  if (!webhook.enabled) {
    const since = webhook.disabled_at ? ` since ${formatTimestamp(webhook.disabled_at, now)}` : '';
    return {
      label: 'Disabled',
      tone: 'warning',
      detail: `Disabled${since}${webhook.disabled_reason ? `: ${webhook.disabled_reason}` : ''}. New events wait until you enable it again.`,
    };
  }
  if (webhook.failing_since) {
    return {
      label: 'Failing',
      tone: 'danger',
      detail: `No delivery has succeeded since ${formatTimestamp(webhook.failing_since, now)}. After 5 days without one, wagate disables the endpoint.`,
    };
  }
  return { label: 'Enabled', tone: 'success', detail: 'Events are sent as they happen.' };
}

/** Which events an endpoint gets: all of the user's, or one chatbot's or one session's. */
export function describeScope(webhook: Webhook): string {
  if (webhook.session_id) return `Only session ${webhook.session_id}`;
  if (webhook.chatbot_id) return `Only chatbot ${webhook.chatbot_id}`;
  return 'All your WhatsApp sessions';
}

/** A delivery's state in words, with the next attempt's time while it is being retried. */
export function describeDelivery(delivery: WebhookDelivery, now: number = Date.now()): StateView {
  switch (delivery.status) {
    case 'pending': {
      if (delivery.attempts === 0) return { label: 'Pending', tone: 'progress', detail: 'Waiting to be sent.' };
      const next = delivery.next_attempt_at && !Number.isNaN(Date.parse(delivery.next_attempt_at))
        ? `Next attempt ${formatTimestamp(delivery.next_attempt_at, now)}.`
        : 'Waiting for an earlier event of its session, or for the endpoint to be enabled.';
      return { label: 'Retrying', tone: 'warning', detail: next };
    }
    case 'delivering':
      return { label: 'Delivering…', tone: 'progress', detail: 'Being sent now.' };
    case 'delivered':
      return {
        label: 'Delivered',
        tone: 'success',
        detail: delivery.delivered_at ? `Delivered ${formatTimestamp(delivery.delivered_at, now)}.` : 'Delivered.',
      };
    case 'failed':
      return {
        label: 'Failed',
        tone: 'danger',
        detail: `Gave up after ${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}. Retry sends it again.`,
      };
    default:
      return { label: String(delivery.status), tone: 'neutral', detail: '' };
  }
}

/** The last answer of a delivery's endpoint: "HTTP 500 · read timeout", or "" before any. */
export function describeLastAnswer(delivery: WebhookDelivery): string {
  const parts: string[] = [];
  if (delivery.last_status_code != null) parts.push(`HTTP ${delivery.last_status_code}`);
  if (delivery.last_error) parts.push(delivery.last_error);
  return parts.join(' · ');
}

/** One attempt: "HTTP 200 in 35 ms", "No answer after 10000 ms · timed out". */
export function describeAttempt(attempt: WebhookAttempt): string {
  const answered = attempt.status_code != null;
  let text = answered ? `HTTP ${attempt.status_code}` : 'No answer';
  if (attempt.latency_ms != null) text += `${answered ? ' in' : ' after'} ${attempt.latency_ms} ms`;
  if (attempt.error) text += ` · ${attempt.error}`;
  return text;
}

/** Retry is offered once a delivery has finished, either way. */
export function canRetry(delivery: WebhookDelivery): boolean {
  return delivery.status === 'delivered' || delivery.status === 'failed';
}

/** Newest first, by time and then id (the API's order), each delivery once. */
export function mergeDeliveries(
  current: readonly WebhookDelivery[],
  incoming: readonly WebhookDelivery[],
): WebhookDelivery[] {
  const byId = new Map(current.map((delivery) => [delivery.id, delivery]));
  for (const delivery of incoming) byId.set(delivery.id, delivery);
  return [...byId.values()].sort(
    (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}
