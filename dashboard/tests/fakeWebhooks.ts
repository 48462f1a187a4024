// The webhook part of the fake API (tests/fakeApi.ts): the user's endpoints, their current
// secrets, and the deliveries the dispatcher would record, answered on the contract's routes.

import { WEBHOOK_EVENT_TYPES, type Webhook, type WebhookDelivery } from '../src/api/types';
import type { Call } from './fakeApi';
import { error, json, nextId } from './fakeHttp';

export class FakeWebhooks {
  readonly endpoints = new Map<string, Webhook>();
  readonly secrets = new Map<string, string>();
  /** Per endpoint, in any order (listed newest first). */
  readonly deliveries = new Map<string, WebhookDelivery[]>();

  add(patch: Partial<Webhook> = {}): Webhook {
    const id = patch.id ?? nextId('hook');
    const now = new Date().toISOString();
    const webhook: Webhook = {
      id,
      url: `https://hooks.example.com/${id}`,
      events: ['message.received'],
      description: null,
      session_id: null,
      chatbot_id: null,
      ordered: true,
      enabled: true,
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
      secret_created_at: now,
      previous_secret_valid_until: null,
      created_at: now,
      updated_at: now,
      ...patch,
    };
    this.endpoints.set(id, webhook);
    if (!this.deliveries.has(id)) this.deliveries.set(id, []);
    return webhook;
  }

  /** A delivery of an event to the endpoint, as the dispatcher records it. */
  addDelivery(webhookId: string, patch: Partial<WebhookDelivery> = {}): WebhookDelivery {
    const id = patch.id ?? nextId('dlv');
    const delivery: WebhookDelivery = {
      id,
      event_id: `evt_${id}`,
      event_type: 'message.received',
      event_created_at: new Date().toISOString(),
      status: 'pending',
      attempts: 0,
      next_attempt_at: new Date().toISOString(),
      last_status_code: null,
      last_error: null,
      created_at: new Date().toISOString(),
      delivered_at: null,
      failed_at: null,
      attempt_log: [],
      ...patch,
    };
    const list = this.deliveries.get(webhookId) ?? [];
    const at = list.findIndex((d) => d.id === id);
    if (at >= 0) list[at] = delivery;
    else list.push(delivery);
    this.deliveries.set(webhookId, list);
    return delivery;
  }

  /** The dispatcher's successful attempt of a delivery. */
  deliver(webhookId: string, deliveryId: string, statusCode = 200, latencyMs = 12): WebhookDelivery {
    const delivery = (this.deliveries.get(webhookId) ?? []).find((d) => d.id === deliveryId);
    if (!delivery) throw new Error(`no delivery ${deliveryId}`);
    const attempt = delivery.attempts + 1;
    const at = new Date().toISOString();
    return this.addDelivery(webhookId, {
      ...delivery,
      status: 'delivered',
      attempts: attempt,
      next_attempt_at: null,
      last_status_code: statusCode,
      last_error: null,
      delivered_at: at,
      attempt_log: [...delivery.attempt_log, { attempt, at, status_code: statusCode, latency_ms: latencyMs, error: null }],
    });
  }

  /** The answer to a webhook route, or null when the call is not one. */
  route(call: Call): Response | null {
    const { method, path } = call;
    const body = (call.body ?? {}) as Record<string, unknown>;
    let match: RegExpMatchArray | null;
    if (path === '/api/webhooks' && method === 'GET') return json(200, { webhooks: [...this.endpoints.values()] });
    if (path === '/api/webhooks' && method === 'POST') {
      const refused = checkWebhookBody(body, true);
      if (refused) return refused;
      if (this.endpoints.size >= 10) return error(409, 'too_many_webhooks', 'at most 10 webhook endpoints per user: delete one first');
      const made = this.add({
        url: String(body.url),
        events: body.events as string[],
        description: (body.description as string | undefined) ?? null,
      });
      const secret = `whsec_${btoa(`webhook-${nextId('s')}-of-32-bytes-here`)}`;
      this.secrets.set(made.id, secret);
      return json(201, { ...made, secret });
    }
    if (!(match = path.match(/^\/api\/webhooks\/([^/]+)(\/.*)?$/))) return null;
    const id = decodeURIComponent(match[1]);
    const rest = match[2] ?? '';
    const webhook = this.endpoints.get(id);
    if (!webhook) return error(404, 'webhook_not_found', 'no such webhook');
    if (rest === '' && method === 'GET') return json(200, webhook);
    if (rest === '' && method === 'DELETE') {
      this.endpoints.delete(id);
      this.deliveries.delete(id);
      return new Response(null, { status: 204 });
    }
    if (rest === '' && method === 'PATCH') {
      const refused = checkWebhookBody(body, false);
      if (refused) return refused;
      const next: Webhook = { ...webhook, ...(body as Partial<Webhook>), updated_at: new Date().toISOString() };
      if (body.enabled === true) Object.assign(next, { disabled_reason: null, disabled_at: null, failing_since: null });
      if (body.enabled === false && webhook.enabled) {
        Object.assign(next, { disabled_reason: 'disabled by its owner', disabled_at: new Date().toISOString() });
      }
      this.endpoints.set(id, next);
      return json(200, next);
    }
    if (rest === '/rotate-secret' && method === 'POST') {
      const now = new Date();
      const secret = `whsec_${btoa(`webhook-${nextId('s')}-of-32-bytes-here`)}`;
      this.secrets.set(id, secret);
      const next: Webhook = {
        ...webhook,
        secret_created_at: now.toISOString(),
        previous_secret_valid_until: new Date(now.getTime() + 86_400_000).toISOString(),
      };
      this.endpoints.set(id, next);
      return json(200, { ...next, secret });
    }
    if (rest === '/test' && method === 'POST') {
      const delivery = this.addDelivery(id, { event_type: 'ping' });
      return json(202, { event_id: delivery.event_id, type: 'ping' });
    }
    if (rest === '/deliveries' && method === 'GET') {
      const limit = Number(call.query.get('limit') ?? 50);
      const before = call.query.get('before');
      const all = [...(this.deliveries.get(id) ?? [])].sort(
        (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : -1),
      );
      const start = before ? all.findIndex((d) => d.id === before) + 1 : 0;
      if (before && start === 0) return error(400, 'invalid_cursor', "'before' is not a cursor this API returned");
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? page[page.length - 1].id : null;
      return json(200, { deliveries: page, next_cursor: next });
    }
    if ((match = rest.match(/^\/deliveries\/([^/]+)\/retry$/)) && method === 'POST') {
      const delivery = (this.deliveries.get(id) ?? []).find((d) => d.id === decodeURIComponent(match![1]));
      if (!delivery) return error(404, 'delivery_not_found', 'no such delivery');
      if (delivery.status === 'pending' || delivery.status === 'delivering') {
        return error(409, 'delivery_in_progress', 'the delivery is still being attempted');
      }
      return json(202, this.addDelivery(id, { ...delivery, status: 'pending', next_attempt_at: new Date().toISOString(), failed_at: null }));
    }
    return null;
  }
}

/** The API's checks of a webhook's body that the dashboard's tests exercise (an error, or null). */
function checkWebhookBody(body: Record<string, unknown>, creating: boolean): Response | null {
  if (creating || 'url' in body) {
    const url = typeof body.url === 'string' ? body.url : '';
    if (!/^https?:\/\/[^\s@/?#]+(\/\S*)?$/.test(url)) return error(400, 'invalid_field', "'url' must be an http(s) URL");
    if (new URL(url).hostname === '169.254.169.254') {
      return error(400, 'endpoint_not_allowed', 'the address 169.254.169.254 is link-local: not allowed');
    }
  }
  if (creating || 'events' in body) {
    const events = body.events;
    if (!Array.isArray(events) || events.length === 0) return error(400, 'invalid_field', "'events' must be a non-empty list of event types");
    const unknown = events.find((e) => !(WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(e));
    if (unknown !== undefined) return error(400, 'unknown_event_type', `unknown event type '${String(unknown)}'`);
  }
  return null;
}
