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
import { formatDuration, formatTimestamp } from './format';
import { t } from './i18n';

/** What each event type tells the endpoint, for the add form's checkboxes. */
export function describeEventType(type: WebhookEventType): string {
  return t(`webhooks.event.${type.replace('.', '_')}`);
}

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
    problems.url = t('webhooks.problem.url');
  } else if (parsed.username || parsed.password) {
    problems.url = t('webhooks.problem.credentials');
  }
  if (input.events.length === 0) problems.events = t('webhooks.problem.events');
  const description = input.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    problems.description = t('webhooks.problem.description', { count: MAX_DESCRIPTION_LENGTH });
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
    const time = webhook.disabled_at ? formatTimestamp(webhook.disabled_at, now) : null;
    const reason = webhook.disabled_reason || null;
    const detail =
      time && reason
        ? t('webhooks.state.disabledSinceReason', { time, reason })
        : time
          ? t('webhooks.state.disabledSince', { time })
          : reason
            ? t('webhooks.state.disabledReason', { reason })
            : t('webhooks.state.disabledDetail');
    return { label: t('webhooks.state.disabled'), tone: 'warning', detail };
  }
  if (webhook.failing_since) {
    return {
      label: t('webhooks.state.failing'),
      tone: 'danger',
      detail: t('webhooks.state.failingDetail', { time: formatTimestamp(webhook.failing_since, now) }),
    };
  }
  return { label: t('webhooks.state.enabled'), tone: 'success', detail: t('webhooks.state.enabledDetail') };
}

/** Which events an endpoint gets: all of the user's, or one chatbot's or one session's. */
export function describeScope(webhook: Webhook): string {
  if (webhook.session_id) return t('webhooks.scope.session', { id: webhook.session_id });
  if (webhook.chatbot_id) return t('webhooks.scope.chatbot', { id: webhook.chatbot_id });
  return t('webhooks.scope.all');
}

/** A delivery's state in words, with the next attempt's time while it is being retried. */
export function describeDelivery(delivery: WebhookDelivery, now: number = Date.now()): StateView {
  switch (delivery.status) {
    case 'pending': {
      if (delivery.attempts === 0) {
        return { label: t('webhooks.delivery.pending'), tone: 'progress', detail: t('webhooks.delivery.waiting') };
      }
      const next =
        delivery.next_attempt_at && !Number.isNaN(Date.parse(delivery.next_attempt_at))
          ? t('webhooks.delivery.nextAttempt', { time: formatTimestamp(delivery.next_attempt_at, now) })
          : t('webhooks.delivery.waitingForEarlier');
      return { label: t('webhooks.delivery.retrying'), tone: 'warning', detail: next };
    }
    case 'delivering':
      return { label: t('webhooks.delivery.delivering'), tone: 'progress', detail: t('webhooks.delivery.beingSent') };
    case 'delivered':
      return {
        label: t('webhooks.delivery.delivered'),
        tone: 'success',
        detail: delivery.delivered_at
          ? t('webhooks.delivery.deliveredAt', { time: formatTimestamp(delivery.delivered_at, now) })
          : t('webhooks.delivery.deliveredNoTime'),
      };
    case 'failed':
      return {
        label: t('webhooks.delivery.failed'),
        tone: 'danger',
        detail: t('webhooks.delivery.gaveUp', { count: delivery.attempts }),
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

/** One attempt: "HTTP 200 in 35 ms", "No answer after 10,000 ms · timed out". */
export function describeAttempt(attempt: WebhookAttempt): string {
  const answered = attempt.status_code != null;
  const status = attempt.status_code;
  let text: string;
  if (attempt.latency_ms != null) {
    const duration = formatDuration(attempt.latency_ms, 'millisecond');
    text = answered ? t('webhooks.attempt.answeredIn', { status, duration }) : t('webhooks.attempt.noAnswerAfter', { duration });
  } else {
    text = answered ? t('webhooks.attempt.answered', { status }) : t('webhooks.attempt.noAnswer');
  }
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
